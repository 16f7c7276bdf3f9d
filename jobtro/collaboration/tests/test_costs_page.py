"""The costs page: shared costs, fees and their history, resource use; who sees and changes what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse

from jobtro.collaboration.models import Activity, FeeRecord, Participant, ResourceRate, SharedCost
from jobtro.testing import START, PersonaTestCase

URL = reverse("collaboration:costs")


class CostsPageTest(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        meeting = Activity.objects.create(
            project=cls.project,
            kind="experience",
            format="full_day",
            title="Erfaringsmøde",
            day=date(2025, 3, 3),
            venue="research_centre",
        )
        # X's key person drove 40 km; Y's caseworker 987 km (a number that appears nowhere else).
        Participant.objects.create(
            activity=meeting, staff=cls.personas["key_person"], municipality=cls.x, attended=True, km=Decimal(40)
        )
        Participant.objects.create(
            activity=meeting, staff=cls.caseworker_y, municipality=cls.y, attended=True, km=Decimal(987)
        )

    def _add(self, description: str, amount: str) -> None:
        response = self.client.post(
            URL,
            {"action": "add", "category": "venue", "description": description, "amount": amount, "day": "2025-02-03"},
        )
        self.assertRedirects(response, URL)

    def _page(self) -> str:
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_a_researcher_adds_a_cost_and_the_page_shows_the_new_fee(self) -> None:
        self.login("researcher")
        self._add("Lokaler til opstartsmødet", "100.00")
        [record] = FeeRecord.objects.all()
        self.assertEqual(record.municipalities, {"0740": "50.00", "0727": "50.00"})
        self._add("Frokost", "51.00")
        self.assertEqual(FeeRecord.objects.count(), 2)
        page = self._page()
        current = page.split('data-testid="current-fees"')[1].split("</table>")[0]
        self.assertIn("75,50", current)
        self.assertNotIn("50,00", current)
        history = page.split('data-testid="fee-history"')[1].split("</table>")[0]
        self.assertIn("50,00", history)
        self.assertIn("Frokost", history)
        self.assertIn("Lokaler til opstartsmødet", page)
        self.assertIn("151,00", page)  # the total

    def test_a_researcher_removes_a_cost(self) -> None:
        self.login("researcher")
        self._add("Frokost", "10.00")
        cost = SharedCost.objects.get()
        response = self.client.post(URL, {"action": "remove", "cost": cost.pk})
        self.assertRedirects(response, URL)
        self.assertFalse(SharedCost.objects.exists())
        latest = FeeRecord.objects.first()
        assert latest is not None
        self.assertEqual(latest.total_costs, Decimal("0.00"))

    def test_an_invalid_cost_is_shown_again_and_adds_nothing(self) -> None:
        self.login("researcher")
        response = self.client.post(URL, {"action": "add", "category": "venue", "description": "", "amount": "-5"})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(SharedCost.objects.exists())
        self.assertFalse(FeeRecord.objects.exists())

    def test_a_key_person_sees_fees_and_only_their_own_resource_use(self) -> None:
        SharedCost.objects.create(
            project=self.project, category="experts", description="Oplægsholder", amount=Decimal("300.00"), day=START
        )
        self.login("key_person")
        page = self._page()
        current = page.split('data-testid="current-fees"')[1].split("</table>")[0]
        self.assertIn("Silkeborg", current)
        self.assertIn("Odder", current)
        self.assertIn("150,00", current)
        self.assertIn('data-testid="fee-history"', page)
        self.assertIn("300,00", page)  # the total
        self.assertNotIn('data-testid="shared-costs"', page)  # the total, not the items
        self.assertIn("Shared cost added: Oplægsholder", page)  # the history says why
        use = page.split('data-testid="resource-use"')[1].split("</table>")[0]
        self.assertIn("Silkeborg", use)
        self.assertIn("7,4", use)
        self.assertIn("151,60", use)  # 40 km x 3.79
        self.assertNotIn("Odder", use)
        self.assertNotIn("987", page)
        self.assertNotIn("3.740,73", page)  # Y's transport
        self.assertNotIn('data-testid="cost-form"', page)
        response = self.client.post(URL, {"action": "rate", "km_rate": "1.00"})
        self.assertEqual(response.status_code, 403)

    def test_a_data_manager_sees_their_own_municipalitys_resource_use(self) -> None:
        self.login("data_manager_y")
        use = self._page().split('data-testid="resource-use"')[1].split("</table>")[0]
        self.assertIn("Odder", use)
        self.assertIn("987", use)
        self.assertNotIn("Silkeborg", use)

    def test_a_caseworker_is_refused(self) -> None:
        self.login("caseworker_a")
        self.assertEqual(self.client.get(URL).status_code, 403)
        response = self.client.post(URL, {"action": "rate", "km_rate": "1.00"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(ResourceRate.objects.filter(km_rate=Decimal("1.00")).exists())

    def test_the_timeline_links_to_the_costs_page_for_those_who_may_see_it(self) -> None:
        self.login("key_person")
        self.assertContains(self.client.get(reverse("collaboration:timeline")), URL)
        self.login("caseworker_a")
        self.assertNotContains(self.client.get(reverse("collaboration:timeline")), URL)

    def test_changing_the_km_rate_changes_the_transport_cost(self) -> None:
        self.login("researcher")
        page = self._page()
        self.assertIn("151,60", page)  # X: 40 km x 3.79
        self.assertIn("3.892,33", page)  # the project: 1027 km x 3.79
        response = self.client.post(URL, {"action": "rate", "km_rate": "2.00"})
        self.assertRedirects(response, URL)
        self.assertEqual(ResourceRate.objects.get(project=self.project).km_rate, Decimal("2.00"))
        page = self._page()
        self.assertIn("80,00", page)
        self.assertIn("2.054,00", page)
        self.assertNotIn("151,60", page)

from django.conf import settings
from django.test import TestCase
from django.urls import reverse


class LanguageTest(TestCase):
    def test_it_is_danish_whatever_the_browser_prefers(self) -> None:
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
        self.assertContains(response, "Log ind")
        self.assertContains(response, 'lang="da"')

    def test_it_is_english_when_chosen_with_the_switch(self) -> None:
        self.client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
        self.assertEqual(self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        response = self.client.get(reverse("login"))
        self.assertContains(response, "Log in")
        self.assertContains(response, 'lang="en"')

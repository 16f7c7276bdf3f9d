"""Loads the 98 municipalities shipped in jobtro/lib/data/kommuner.csv."""

from django.db import migrations


def load(apps, schema_editor):
    from jobtro.lib.municipalities import all_municipalities

    Municipality = apps.get_model("organisation", "Municipality")
    for m in all_municipalities():
        Municipality.objects.update_or_create(
            code=m.code, defaults={"name": m.name, "region_code": m.region_code, "region": m.region}
        )


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

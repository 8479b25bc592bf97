"""The shared cache table (rate limits, throttling) that settings use when REDIS_URL is not
set, so that `migrate` - and every test database - has it. Django's `createcachetable` builds
it the same way; this migration creates it whatever the cache settings say."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "sigap_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_webhooks_notifications")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

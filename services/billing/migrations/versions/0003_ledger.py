"""The ledger (accounts, journal entries and lines) and the organizations read model.

Entries and lines are immutable in the database itself: triggers refuse UPDATE, DELETE
and TRUNCATE, and deferred constraint triggers check at commit that every entry
touched by the transaction balances, has exactly the lines it was posted with, and
that they share its tenant and date.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from millbook_platform.db import tenant_rls_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("accounts", "journal_entries", "journal_lines", "organizations")
MONEY = sa.Numeric(precision=18, scale=4)

IMMUTABLE_FUNCTION = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % refused (post a reversing entry)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$
"""

# The check must see the entry's lines whatever tenant the transaction names by the
# time it commits, so it looks across tenants for its one query and restores the setting.
# An entry declares how many lines it has, so lines added to it later (even balanced
# ones) are refused as surely as an unbalanced entry.
BALANCE_FUNCTION = """
CREATE FUNCTION ledger_check_entry_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('app.all_tenants', true);
    checked uuid;
    declared integer;
    found integer;
    debits numeric;
    credits numeric;
    mismatched integer;
BEGIN
    -- PL/pgSQL compiles a trigger function per table, so each branch only meets its own NEW.
    IF TG_TABLE_NAME = 'journal_entries' THEN
        checked := NEW.id;
    ELSE
        checked := NEW.entry_id;
    END IF;
    PERFORM set_config('app.all_tenants', 'on', true);
    SELECT e.line_count, count(l.id), coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0),
           count(*) FILTER (WHERE l.tenant_id <> e.tenant_id OR l.entry_date <> e.entry_date)
      INTO declared, found, debits, credits, mismatched
      FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
     WHERE e.id = checked
     GROUP BY e.id, e.line_count;
    PERFORM set_config('app.all_tenants', coalesce(saved, ''), true);
    IF debits <> credits THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits %, credits %',
            checked, debits, credits USING ERRCODE = 'check_violation';
    END IF;
    IF found <> declared THEN
        RAISE EXCEPTION 'journal entry % has % lines, not the % it was posted with',
            checked, found, declared USING ERRCODE = 'check_violation';
    END IF;
    IF mismatched > 0 THEN
        RAISE EXCEPTION 'journal entry % has lines of another tenant or date', checked
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "accounts",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column("normal_side", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_accounts_tenant_code"),
    )
    op.create_index(op.f("ix_accounts_tenant_id"), "accounts", ["tenant_id"], unique=False)
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("reverses_entry_id", sa.Uuid(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entries_reverses_entry_id_journal_entries"),
        ),
        sa.CheckConstraint("line_count >= 0", name=op.f("ck_journal_entries_line_count")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint(
            "tenant_id", "source_type", "source_id", name="uq_journal_entries_tenant_source"
        ),
    )
    op.create_index(
        "ix_journal_entries_tenant_date",
        "journal_entries",
        ["tenant_id", "entry_date", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_journal_entries_reverses",
        "journal_entries",
        ["reverses_entry_id"],
        unique=True,
        postgresql_where="reverses_entry_id IS NOT NULL",
    )
    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("account_code", sa.String(length=10), nullable=False),
        sa.Column("debit", MONEY, nullable=False),
        sa.Column("credit", MONEY, nullable=False),
        sa.Column("party_type", sa.String(length=20), nullable=True),
        sa.Column("party_id", sa.Uuid(), nullable=True),
        sa.Column("party_name", sa.String(length=200), nullable=True),
        sa.Column("document_type", sa.String(length=20), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("document_number", sa.String(length=50), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0", name=op.f("ck_journal_lines_amounts_not_negative")
        ),
        sa.CheckConstraint(
            "(debit = 0) <> (credit = 0)", name=op.f("ck_journal_lines_debit_or_credit")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_lines_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_code"],
            ["accounts.tenant_id", "accounts.code"],
            name="fk_journal_lines_account",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    op.create_index(
        "ix_journal_lines_tenant_account_date",
        "journal_lines",
        ["tenant_id", "account_code", "entry_date"],
        unique=False,
    )
    op.create_index(
        "ix_journal_lines_tenant_document",
        "journal_lines",
        ["tenant_id", "document_id"],
        unique=False,
    )
    op.create_index("ix_journal_lines_entry", "journal_lines", ["entry_id"], unique=False)
    for table in TENANT_TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    _immutability()


def _immutability() -> None:
    op.execute(IMMUTABLE_FUNCTION)
    op.execute(BALANCE_FUNCTION)
    for table in ("journal_entries", "journal_lines"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        )
    for table in ("journal_entries", "journal_lines"):
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION ledger_check_entry_balance()"
        )


def downgrade() -> None:
    op.drop_table("journal_lines")
    op.drop_table("journal_entries")
    op.drop_table("accounts")
    op.drop_table("organizations")
    op.execute("DROP FUNCTION ledger_check_entry_balance()")
    op.execute("DROP FUNCTION ledger_refuse_change()")

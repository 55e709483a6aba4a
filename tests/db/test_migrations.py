"""The migrations build the models' schema on SQLite and PostgreSQL, and undo it cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from interests.extensions import db

pytestmark = pytest.mark.alldb


@pytest.fixture
def empty_app(app: Flask) -> Flask:
    with app.app_context():
        db.drop_all()
    return app


def schema_differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, db.metadata))


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_builds_exactly_the_models_schema(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
    assert table_names(empty_app) == set(db.metadata.tables)
    assert schema_differences(empty_app) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
    assert table_names(empty_app) == set()
    with empty_app.app_context():
        upgrade()
    assert schema_differences(empty_app) == []


def test_0006_gives_each_address_to_the_first_engagement_and_confirms_where_people_declared(
    empty_app: Flask,
) -> None:
    """Before 0006 a professional had one shared address; after it, only the provider that added them
    first holds it, and an engagement counts as confirmed where the professional had declared."""
    from sqlalchemy import text

    with empty_app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO provider (id, slug, name, kind, region, has_website, created_at) VALUES "
                    "(1, 'first', 'First', 'nhs_trust', 'london', true, CURRENT_TIMESTAMP), "
                    "(2, 'second', 'Second', 'clinic', 'london', true, CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO professional (id, given_name, family_name, regulator, registration_number, "
                    "profession, email, created_at) VALUES "
                    "(1, 'Ann', 'Lee', 'GMC', '1234567', 'Doctor', 'ann@example.org', CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO engagement (id, professional_id, provider_id, engagement_type, role, "
                    "start_date, decision_maker, created_at) VALUES "
                    "(1, 1, 1, 'employee', 'Consultant', '2020-01-01', false, CURRENT_TIMESTAMP), "
                    "(2, 1, 2, 'locum', 'Locum', '2021-01-01', false, CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO declaration (id, reference, professional_id, provider_id, nil_return, "
                    "declared_on, signed_at, statement, submission_key) VALUES "
                    "(1, 'DEC-AAAA-BBBB', 1, 2, true, '2026-01-01', CURRENT_TIMESTAMP, '', 'k1')"
                )
            )
        upgrade()
        with db.engine.connect() as c:
            rows = c.execute(
                text("SELECT id, email, confirmed_at IS NOT NULL FROM engagement ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [(1, "ann@example.org", False), (2, None, True)]
            assert "email" not in {col["name"] for col in inspect(c).get_columns("professional")}
        downgrade(revision="0005")
        with db.engine.connect() as c:
            assert c.execute(text("SELECT email FROM professional")).scalar_one() == "ann@example.org"


def test_0013_fills_latest_declaration_with_each_persons_latest_declaration_to_each_provider(
    empty_app: Flask,
) -> None:
    """The backfill keeps, per provider and professional, the latest date, then the highest id."""
    from sqlalchemy import text

    with empty_app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO provider (id, slug, name, kind, region, has_website, created_at) VALUES "
                    "(1, 'first', 'First', 'nhs_trust', 'london', true, CURRENT_TIMESTAMP), "
                    "(2, 'second', 'Second', 'clinic', 'london', true, CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO professional (id, given_name, family_name, regulator, registration_number, "
                    "profession, created_at) VALUES "
                    "(1, 'Ann', 'Lee', 'GMC', '1234567', 'Doctor', CURRENT_TIMESTAMP), "
                    "(2, 'Bo', 'Ray', 'GMC', '1234568', 'Doctor', CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO declaration (id, reference, professional_id, provider_id, nil_return, "
                    "declared_on, signed_at, statement, submission_key) VALUES "
                    "(1, 'R1', 1, 1, true, '2026-01-01', CURRENT_TIMESTAMP, '', 'k1'), "
                    "(2, 'R2', 1, 1, true, '2025-01-01', CURRENT_TIMESTAMP, '', 'k2'), "
                    "(3, 'R3', 1, 2, true, '2025-06-01', CURRENT_TIMESTAMP, '', 'k3'), "
                    "(4, 'R4', 1, 2, true, '2025-06-01', CURRENT_TIMESTAMP, '', 'k4'), "
                    "(5, 'R5', 2, 2, true, '2024-02-29', CURRENT_TIMESTAMP, '', 'k5')"
                )
            )
        upgrade(revision="0013")
        with db.engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT provider_id, professional_id, declaration_id, declared_on "
                    "FROM latest_declaration "
                    "ORDER BY provider_id, professional_id"
                )
            ).all()
        assert [tuple(r[:3]) + (str(r[3]),) for r in rows] == [
            (1, 1, 1, "2026-01-01"),
            (2, 1, 4, "2025-06-01"),
            (2, 2, 5, "2024-02-29"),
        ]
        downgrade(revision="0011")
    assert "latest_declaration" not in table_names(empty_app)


def test_0019_seals_existing_second_factor_secrets_and_the_downgrade_opens_them(empty_app: Flask) -> None:
    """An account that turned its second factor on before 0019 keeps working: its plain secret is
    sealed with the app's key (never left readable in the table), and the downgrade gives it back."""
    import pyotp
    from sqlalchemy import text

    from interests.services import sealing

    secret = pyotp.random_base32()
    with empty_app.app_context():
        upgrade(revision="0018")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO account (id, email, password_hash, role, session_version, active, "
                    "created_at, failed_sign_ins, totp_secret, totp_enabled_at) VALUES "
                    "(1, 'on@example.org', 'x', 'inspector', 1, true, CURRENT_TIMESTAMP, 0, :secret, "
                    "CURRENT_TIMESTAMP), "
                    "(2, 'off@example.org', 'x', 'inspector', 1, true, CURRENT_TIMESTAMP, 0, NULL, NULL)"
                ),
                {"secret": secret},
            )
        upgrade()
        with db.engine.connect() as c:
            stored = dict(c.execute(text("SELECT id, totp_secret FROM account")).all())
        assert stored[2] is None
        assert secret not in stored[1] and sealing.unseal(stored[1]) == secret
        downgrade(revision="0018")
        with db.engine.connect() as c:
            assert c.execute(text("SELECT totp_secret FROM account WHERE id = 1")).scalar_one() == secret


def test_0019_downgrade_stops_without_changing_anything_when_a_secret_opens_with_no_key(
    empty_app: Flask,
) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import text

    foreign = Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").decode()
    with empty_app.app_context():
        upgrade(revision="0019")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO account (id, email, password_hash, role, session_version, active, "
                    "created_at, failed_sign_ins, totp_secret) VALUES "
                    "(7, 'lost@example.org', 'x', 'inspector', 1, true, CURRENT_TIMESTAMP, 0, :sealed)"
                ),
                {"sealed": foreign},
            )
        with pytest.raises(SystemExit) as stopped:  # Flask-Migrate logs the error and exits
            downgrade(revision="0018")
        assert "accounts 7 open with none of SECOND_FACTOR_KEYS" in str(stopped.value.__context__)
        with db.engine.connect() as c:
            assert c.execute(text("SELECT totp_secret FROM account WHERE id = 7")).scalar_one() == foreign
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0019"


def test_0020_fills_counted_engagement_as_the_app_works_it_out_and_downgrades(empty_app: Flask) -> None:
    """One engagement: one row, its start to its end. An ended engagement and a later one, and two
    that overlap: a row for each stretch over which a different one counts, as
    `rebuild_counted` works it out; each with the pair's latest declaration date."""
    from sqlalchemy import select, text

    from interests.models import CountedEngagement, rebuild_counted

    with empty_app.app_context():
        upgrade(revision="0019")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO provider (id, slug, name, kind, region, has_website, created_at) VALUES "
                    "(1, 'first', 'First', 'nhs_trust', 'london', true, CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO professional (id, given_name, family_name, regulator, registration_number, "
                    "profession, created_at) VALUES "
                    "(1, 'Ann', 'Lee', 'GMC', '1234567', 'Doctor', CURRENT_TIMESTAMP), "
                    "(2, 'Bo', 'Ray', 'GMC', '1234568', 'Doctor', CURRENT_TIMESTAMP), "
                    "(3, 'Cy', 'Day', 'GMC', '1234569', 'Doctor', CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO engagement (id, professional_id, provider_id, engagement_type, role, "
                    "start_date, end_date, decision_maker, created_at) VALUES "
                    "(1, 1, 1, 'employee', 'Nurse', '2024-01-01', NULL, false, CURRENT_TIMESTAMP), "
                    "(2, 2, 1, 'employee', 'Nurse', '2023-01-01', '2024-12-31', false, CURRENT_TIMESTAMP), "
                    "(3, 2, 1, 'bank', 'Nurse', '2025-03-01', NULL, false, CURRENT_TIMESTAMP), "
                    "(4, 3, 1, 'locum', 'GP', '2025-01-01', NULL, false, CURRENT_TIMESTAMP), "
                    "(5, 3, 1, 'employee', 'GP', '2024-06-01', '2025-06-30', false, CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO declaration (id, reference, professional_id, provider_id, nil_return, "
                    "declared_on, signed_at, statement, submission_key) VALUES "
                    "(1, 'R1', 2, 1, true, '2025-04-01', CURRENT_TIMESTAMP, '', 'k1'), "
                    "(2, 'R2', 3, 1, true, '2024-07-01', CURRENT_TIMESTAMP, '', 'k2')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO latest_declaration (provider_id, professional_id, declaration_id, "
                    "declared_on) VALUES (1, 2, 1, '2025-04-01'), (1, 3, 2, '2024-07-01')"
                )
            )
        upgrade(revision="0020")

        def rows() -> list[tuple[object, ...]]:
            with db.engine.connect() as c:
                return [
                    tuple(str(v) if v is not None else None for v in row)
                    for row in c.execute(
                        select(
                            CountedEngagement.professional_id,
                            CountedEngagement.counts_from,
                            CountedEngagement.counts_until,
                            CountedEngagement.engagement_id,
                            CountedEngagement.engagement_type,
                            CountedEngagement.start_date,
                            CountedEngagement.declared_on,
                        ).order_by(CountedEngagement.professional_id, CountedEngagement.counts_from)
                    )
                ]

        migrated = rows()
        assert migrated == [
            ("1", "2024-01-01", None, "1", "employee", "2024-01-01", None),
            ("2", "2023-01-01", "2024-12-31", "2", "employee", "2023-01-01", "2025-04-01"),
            ("2", "2025-03-01", None, "3", "bank", "2025-03-01", "2025-04-01"),
            ("3", "2024-06-01", "2025-06-30", "5", "employee", "2024-06-01", "2024-07-01"),
            ("3", "2025-07-01", None, "4", "locum", "2025-01-01", "2024-07-01"),
        ]
        with db.engine.begin() as c:
            rebuild_counted(c)
        assert rows() == migrated
        downgrade(revision="0019")
    assert "counted_engagement" not in table_names(empty_app)

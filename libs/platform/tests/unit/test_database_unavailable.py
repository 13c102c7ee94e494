"""Which database failures are an outage (503 with Retry-After) and which are a bug (500)."""

import psycopg
import pytest
import sqlalchemy.exc
from psycopg import errors as pg

from millbook_platform.errors import database_unavailable


def wrapped(error: Exception) -> sqlalchemy.exc.DBAPIError:
    """As SQLAlchemy raises a driver error from a statement."""
    return sqlalchemy.exc.DBAPIError.instance("SELECT 1", {}, error, psycopg.Error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection refused"),  # libpq: no SQLSTATE
        pg.CannotConnectNow("the database system is starting up"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        pg.CrashShutdown("terminating connection because of crash of another server process"),
        pg.TooManyConnections("sorry, too many clients already"),
        pg.ConnectionFailure("connection failure"),
        psycopg.InterfaceError("the connection is closed"),
        sqlalchemy.exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_unreachable_database_is_an_outage(error):
    assert database_unavailable(error)
    if not isinstance(error, sqlalchemy.exc.TimeoutError):
        assert database_unavailable(wrapped(error))


@pytest.mark.parametrize(
    "error",
    [
        pg.UniqueViolation("duplicate key"),
        pg.QueryCanceled("canceling statement due to statement timeout"),
        pg.SerializationFailure("could not serialize access"),
        pg.LockNotAvailable("could not obtain lock"),
        ValueError("not a database error"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_failing_statement_is_not_an_outage(error):
    assert not database_unavailable(error)
    assert not database_unavailable(wrapped(error))


def test_an_invalidated_connection_is_an_outage():
    error = wrapped(pg.UniqueViolation("whatever the driver said"))
    error.connection_invalidated = True
    assert database_unavailable(error)

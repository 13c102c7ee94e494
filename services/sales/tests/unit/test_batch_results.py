import pytest
from pydantic import BaseModel

from millbook_platform.errors import ValidationFailed
from millbook_sales.customers.batch import ItemError, Outcome, respond


class Thing(BaseModel):
    name: str


def outcomes() -> list[Outcome[str]]:
    return [
        Outcome(0, 201, row="alpha"),
        Outcome(
            1,
            422,
            error=ItemError(
                code="VALIDATION_ERROR",
                message="bad",
                details=[{"field": "name", "message": "required"}],
            ),
        ),
        Outcome(2, 404, error=ItemError(code="RESOURCE_NOT_FOUND", message="gone", details=[])),
    ]


def test_each_item_gets_its_status_and_its_data_or_error():
    result = respond(outcomes(), lambda row: Thing(name=row), atomic=False)

    assert [(item.index, item.status) for item in result.data] == [(0, 201), (1, 422), (2, 404)]
    assert result.data[0].data == Thing(name="alpha")
    assert result.data[0].error is None
    assert result.data[2].error == ItemError(code="RESOURCE_NOT_FOUND", message="gone", details=[])
    assert result.meta.model_dump() == {"total": 3, "succeeded": 1, "failed": 2, "atomic": False}


def test_an_atomic_batch_with_failures_names_every_failing_item():
    with pytest.raises(ValidationFailed) as raised:
        respond(outcomes(), lambda row: Thing(name=row), atomic=True)

    assert raised.value.details == [
        {"field": "items[1].name", "message": "required", "index": 1, "status": 422},
        {"field": "items[2]", "message": "gone", "index": 2, "status": 404},
    ]


def test_an_atomic_batch_without_failures_returns_every_item():
    result = respond([Outcome(0, 201, row="a")], lambda row: Thing(name=row), atomic=True)
    assert result.meta.succeeded == 1

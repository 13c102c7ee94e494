"""The edge checks every service route takes: unknown query parameters, NUL characters,
405 with Allow, malformed JSON and the pagination aliases and bounds."""

import uuid
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from millbook_platform.edge_checks import EDGE_CHECKS
from millbook_platform.errors import install_error_handlers
from millbook_platform.nul_guard import nul_field
from millbook_platform.pagination import MAX_OFFSET, Page, PageMeta, list_response
from millbook_platform.query_guard import (
    DeclaredQuery,
    did_you_mean,
    synonyms,
    unknown_query_details,
)


class Line(BaseModel):
    description: str


class Order(BaseModel):
    name: str
    lines: list[Line] = []


def customer_filter(
    customer_id: Annotated[
        uuid.UUID | None, Query(json_schema_extra=synonyms("client", "client_id"))
    ] = None,
    status: str | None = None,
) -> dict:
    return {"customer_id": customer_id, "status": status}


def client() -> TestClient:
    router = APIRouter(prefix="/v1/orders")

    @router.get("")
    async def list_orders(page: Page, filters: Annotated[dict, Depends(customer_filter)]) -> dict:
        return {"offset": page.offset, "limit": page.limit, "sort": page.sort, **filters}

    @router.post("")
    async def create(order: Order) -> dict:
        return {"name": order.name}

    @router.get("/{code}")
    async def one(code: str) -> dict:
        return {"code": code}

    @router.post("/upload")
    async def upload(file: Annotated[UploadFile, File()], note: Annotated[str, Form()]) -> dict:
        return {"filename": file.filename}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router, dependencies=EDGE_CHECKS)
    return TestClient(app, raise_server_exceptions=False)


def error_of(response) -> dict:
    return response.json()["error"]


# Unknown query parameters


def test_a_misspelt_filter_is_refused_naming_it_and_the_accepted_ones():
    response = client().get("/v1/orders", params={"stauts": "paid"})
    assert response.status_code == 422
    detail = error_of(response)["details"][0]
    assert detail["field"] == "stauts"
    assert "did you mean 'status'?" in detail["message"]
    assert "customer_id" in detail["message"]
    assert "limit" in detail["message"]


def test_a_synonym_suggests_the_parameter_it_stands_for():
    response = client().get("/v1/orders", params={"client": str(uuid.uuid4())})
    assert response.status_code == 422
    detail = error_of(response)["details"][0]
    assert detail["field"] == "client"
    assert "did you mean 'customer_id'?" in detail["message"]


def test_declared_parameters_of_the_route_and_its_dependencies_are_accepted():
    response = client().get("/v1/orders", params={"status": "paid", "limit": 5, "sort": "x"})
    assert response.status_code == 200, response.text


def test_a_route_without_query_parameters_refuses_any():
    response = client().get("/v1/orders/A1", params={"expand": "lines"})
    assert response.status_code == 422
    assert "accepted: none" in error_of(response)["details"][0]["message"]


def test_did_you_mean_is_silent_when_nothing_is_close():
    assert did_you_mean("zzz", {"status", "customer_id"}, {}) is None
    assert did_you_mean("Status", {"status"}, {}) == "status"


def test_every_unknown_key_is_named_once():
    declared = DeclaredQuery(frozenset({"status"}), {})
    details = unknown_query_details(["a", "status", "a", "b"], declared)
    assert [d["field"] for d in details] == ["a", "b"]


# Pagination aliases and bounds


def test_page_and_page_size_are_aliases_of_offset_and_limit():
    response = client().get("/v1/orders", params={"page": 3, "page_size": 10, "ordering": "-x"})
    assert response.json() | {} == {
        "offset": 20,
        "limit": 10,
        "sort": "-x",
        "customer_id": None,
        "status": None,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 2, "offset": 10}, "page"),
        ({"page_size": 2, "limit": 10}, "page_size"),
        ({"ordering": "a", "sort": "b"}, "ordering"),
    ],
)
def test_an_alias_beside_its_parameter_is_refused(params, field):
    response = client().get("/v1/orders", params=params)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == field


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": 2**63}, "offset"),
        ({"offset": MAX_OFFSET + 1}, "offset"),
        ({"limit": 10**30}, "limit"),
        ({"page": 2**63}, "page"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_out_of_range_positions_are_a_validation_error(params, field):
    response = client().get("/v1/orders", params=params)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == field


def test_next_cursor_is_always_in_the_meta_and_null_on_the_last_page():
    assert list_response([], PageMeta(limit=20), None)["meta"] == {
        "limit": 20,
        "next_cursor": None,
    }
    offset_page = PageMeta(limit=20, offset=0, total=3).model_dump(mode="json")
    assert offset_page == {"limit": 20, "offset": 0, "total": 3, "next_cursor": None}


# NUL characters


def test_a_nul_in_a_nested_body_field_is_refused_naming_it():
    body = {"name": "ok", "lines": [{"description": "a"}, {"description": "b\u0000c"}]}
    response = client().post("/v1/orders", json=body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "lines[1].description"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/orders?status=pa%00id", "status"),
        ("/v1/orders?sta%00tus=paid", "sta\u0000tus"),
        ("/v1/orders/A%001", "code"),
    ],
)
def test_a_nul_in_the_query_or_path_is_refused_naming_it(path, field):
    response = client().get(path)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == field


def multipart(filename: bytes, note: bytes) -> tuple[bytes, dict[str, str]]:
    # Built by hand: an HTTP client would percent-encode the NUL a hostile one sends raw.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF\x00\r\n"
        b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\n' + note + b"\r\n--b--\r\n"
    )
    return body, {"content-type": "multipart/form-data; boundary=b"}


def test_a_nul_in_a_form_field_or_file_name_is_refused():
    body, headers = multipart(b"a\x00.pdf", b"x")
    named = client().post("/v1/orders/upload", content=body, headers=headers)
    assert (named.status_code, error_of(named)["details"][0]["field"]) == (422, "file")
    noted = client().post(
        "/v1/orders/upload", files={"file": ("a.pdf", b"\x00", "x")}, data={"note": "\x00"}
    )
    assert (noted.status_code, error_of(noted)["details"][0]["field"]) == (422, "note")


def test_a_file_whose_content_holds_nul_bytes_passes_to_the_service():
    files = {"file": ("a.pdf", b"%PDF\x00\x00", "application/pdf")}
    assert client().post("/v1/orders/upload", files=files, data={"note": "x"}).status_code == 200


def test_nul_field_names_dict_keys_and_list_items():
    assert nul_field({"a": {"b\u0000": 1}}) == "a.b\u0000"
    assert nul_field({"a": ["x", "\u0000"]}) == "a[1]"
    assert nul_field({"a": 1}) is None


# Codes that mean what they say


def test_a_known_path_with_another_method_is_405_with_allow():
    response = client().delete("/v1/orders")
    assert response.status_code == 405
    assert error_of(response)["code"] == "METHOD_NOT_ALLOWED"
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_malformed_json_is_400_malformed_request():
    response = client().post(
        "/v1/orders", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "MALFORMED_REQUEST"
    assert error["details"][0]["field"] == "body"


def test_an_unknown_ordering_is_refused_under_the_name_the_client_used():
    from millbook_platform.pagination import ValidationFailed, parse_sort

    with pytest.raises(ValidationFailed) as raised:
        parse_sort("email", {"created_at"}, param="ordering")
    assert raised.value.details[0]["field"] == "ordering"


def test_an_unknown_ordering_through_a_route_names_ordering():
    from millbook_platform.pagination import page_params

    params = page_params(ordering="email")
    assert (params.sort, params.sort_param) == ("email", "ordering")

def test_crud(client):
    created = client.post("/items", json={"name": "hammer", "description": "steel", "price": 12.5})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "hammer" and item["price"] == 12.5 and item["id"] > 0

    assert client.get(f"/items/{item['id']}").json()["description"] == "steel"
    updated = client.patch(f"/items/{item['id']}", json={"price": 10})
    assert updated.status_code == 200 and updated.json()["price"] == 10 and updated.json()["name"] == "hammer"

    assert client.delete(f"/items/{item['id']}").status_code == 204
    assert client.get(f"/items/{item['id']}").status_code == 404
    assert client.delete(f"/items/{item['id']}").status_code == 404


def test_pagination(client):
    before = client.get("/items", params={"limit": 100}).json()["total"]
    ids = [client.post("/items", json={"name": f"n{i}", "price": i}).json()["id"] for i in range(5)]
    page = client.get("/items", params={"offset": before + 1, "limit": 2}).json()
    assert page["total"] == before + 5 and page["limit"] == 2
    assert [i["id"] for i in page["items"]] == ids[1:3]
    assert client.get("/items", params={"limit": 0}).status_code == 422


def test_validation(client):
    assert client.post("/items", json={"name": "", "price": 1}).status_code == 422
    assert client.post("/items", json={"name": "x", "price": -1}).status_code == 422


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


def test_ready_reports_an_unreachable_database(monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.main import app

    # nothing listens on this loopback port: connecting fails at once
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw@127.0.0.1:9/nodb")
    get_settings.cache_clear()
    try:
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
            response = client.get("/ready")
            assert response.status_code == 503 and response.json()["status"] == "unavailable"
    finally:
        get_settings.cache_clear()

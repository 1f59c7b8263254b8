from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import get_session, make_engine
from app.models import Item
from app.schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = make_engine(get_settings())
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    yield
    engine.dispose()


app = FastAPI(title="items service", lifespan=lifespan)
SessionDep = Annotated[Session, Depends(get_session)]


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers. It does not touch the database."""
    return {"status": "ok"}


@app.get("/ready")
def ready() -> JSONResponse:
    """Readiness: the database answers a real query."""
    try:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


@app.post("/items", status_code=status.HTTP_201_CREATED)
def create_item(data: ItemCreate, session: SessionDep) -> ItemRead:
    item = Item(**data.model_dump())
    session.add(item)
    session.commit()
    session.refresh(item)
    return ItemRead.model_validate(item)


@app.get("/items")
def list_items(
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ItemPage:
    total = session.scalar(select(func.count()).select_from(Item)) or 0
    rows = session.scalars(select(Item).order_by(Item.id).offset(offset).limit(limit)).all()
    return ItemPage(items=[ItemRead.model_validate(r) for r in rows], total=total, offset=offset, limit=limit)


def _get(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item


@app.get("/items/{item_id}")
def read_item(item_id: int, session: SessionDep) -> ItemRead:
    return ItemRead.model_validate(_get(session, item_id))


@app.patch("/items/{item_id}")
def update_item(item_id: int, data: ItemUpdate, session: SessionDep) -> ItemRead:
    item = _get(session, item_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    session.commit()
    session.refresh(item)
    return ItemRead.model_validate(item)


@app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, session: SessionDep) -> Response:
    session.delete(_get(session, item_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""The API: notes kept in memory, mounted under API_PREFIX."""

import itertools

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from .settings import settings


class NoteIn(BaseModel):
    text: str


notes: dict[int, str] = {}
ids = itertools.count(1)
router = APIRouter()


@router.post("/notes", status_code=201)
def add_note(note: NoteIn) -> dict[str, object]:
    key = next(ids)
    notes[key] = note.text
    return {"id": key, "text": note.text}


@router.get("/notes/{key}")
def get_note(key: int) -> dict[str, object]:
    if key not in notes:
        raise HTTPException(status_code=404, detail="no such note")
    return {"id": key, "text": notes[key]}


app = FastAPI(title=settings["PROJECT_NAME"])
app.include_router(router, prefix=settings["API_PREFIX"])


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "project": settings["PROJECT_NAME"]}

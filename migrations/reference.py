"""Loads the INSEE reference facts (regions, académies, departments) from migrations/data.

The TSV files are the project's own copy of shared/reference. They are facts of a date: a
change of those facts (a new region, a renamed département) belongs in a new migration that
updates the rows, not in an edit of these files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

DATA = Path(__file__).resolve().parent / "data"


def read_tsv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_reference_rows(bind: sa.Connection) -> None:
    regions = [
        {"code": r["region_code"], "name": r["region_nom"], "kind": r["kind"]}
        for r in read_tsv("regions.tsv")
    ]
    academies = [
        {"code": a["academie_code"], "name": a["academie_nom"], "slug": a["academie_id"]}
        for a in read_tsv("academies.tsv")
    ]
    departments = [
        {
            "code": d["dep_code"],
            "name": d["dep_nom"],
            "region_code": d["region_code"],
            "academie_code": d["academie_code"],
            "uai_prefix": d["uai_prefix"],
            "in_101": d["in_101"] == "yes",
        }
        for d in read_tsv("departements.tsv")
    ]
    bind.execute(sa.text("INSERT INTO region (code, name, kind) VALUES (:code, :name, :kind)"), regions)
    bind.execute(
        sa.text("INSERT INTO academie (code, name, slug) VALUES (:code, :name, :slug)"), academies
    )
    bind.execute(
        sa.text(
            "INSERT INTO department (code, name, region_code, academie_code, uai_prefix, in_101) "
            "VALUES (:code, :name, :region_code, :academie_code, :uai_prefix, :in_101)"
        ),
        departments,
    )

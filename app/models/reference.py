"""Reference data (INSEE): regions, académies and departments, loaded by a migration."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Region(SQLModel, table=True):
    __tablename__ = "region"

    code: str = Field(primary_key=True, max_length=3)
    name: str
    kind: str = Field(max_length=32)  # "region" or "collectivite_outre_mer"


class Academie(SQLModel, table=True):
    __tablename__ = "academie"

    code: str = Field(primary_key=True, max_length=2)
    name: str
    slug: str = Field(max_length=40)


class Department(SQLModel, table=True):
    __tablename__ = "department"

    code: str = Field(primary_key=True, max_length=3)
    name: str
    region_code: str = Field(foreign_key="region.code", max_length=3, index=True)
    academie_code: str = Field(foreign_key="academie.code", max_length=2)
    uai_prefix: str = Field(max_length=3, unique=True)
    in_101: bool  # one of the 101 departments (overseas collectivities are not)

# ruff: noqa: S608 - SQL here is built from quoted file paths and fixed fragments only.
"""The bulk engine: DuckDB over CSV / Parquet / XLSX files, streamed with bounded memory.

Everything that touches millions of rows (the file-to-file coverage report, import
validation) runs here as SQL inside DuckDB, never row by row in Python. NIKs are always
read as text (a NIK is an identifier, not a number), and the same vectorised NIK rules as
`sigap.regions.services.validate_nik` are written once, as SQL, in `nik_problem_sql`.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sigap.core.exports import neutralise_sql

# Values read as "true" in an `active` column (BPJS exports say 1/0, Y/N, AKTIF, true/false).
TRUE_WORDS = ("true", "t", "1", "yes", "y", "ya", "aktif", "active")
ALIVE_WORDS = ("alive",)
DEFAULT_MEMORY_LIMIT = os.environ.get("SIGAP_DUCKDB_MEMORY_LIMIT", "1GB")
DEFAULT_THREADS = int(os.environ.get("SIGAP_DUCKDB_THREADS", "2"))
READABLE = (".csv", ".parquet", ".xlsx")


class EngineError(ValueError):
    """A file the engine cannot read (unknown type, missing column)."""


class TooManyRows(EngineError):
    """A file with more data rows than allowed (refused before it is read to the end)."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} rows")
        self.limit = limit


# Uncompressed size an XLSX may expand to (a zip bomb is refused before it is read).
MAX_XLSX_EXPANDED = int(os.environ.get("SIGAP_COVERAGE_MAX_XLSX_EXPANDED", 512 * 1024 * 1024))


def spool_dir() -> Path:
    """The one folder for temporary copies of imported files. Each name starts with the
    process id, so that copies left by a killed process are swept by the next import."""
    path = Path(tempfile.gettempdir()) / "sigap-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def spool_prefix() -> str:
    return f"{os.getpid()}-"


def sweep_spool() -> int:
    """Remove temporary copies whose process is gone (a killed import). Returns how many."""
    removed = 0
    for entry in spool_dir().iterdir():
        pid = entry.name.split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            entry.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def public_message(exc: Exception) -> str:
    """An engine error as shown to people: no server paths."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    text = re.sub(r"(?<![\w.])/[^\s'\"]+", "(berkas)", text)
    return text[:300]


def connect(memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = DEFAULT_THREADS):
    """An in-memory DuckDB with a memory cap; larger-than-memory work spills to a temp dir."""
    con = duckdb.connect(":memory:")
    spill = Path(tempfile.gettempdir()) / "sigap-duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _quote(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def file_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in READABLE:
        raise EngineError(f"unsupported file type {suffix or '(none)'}: use CSV, Parquet or XLSX")
    return suffix[1:]


@contextmanager
def readable(path: str | Path, max_rows: int | None = None) -> Iterator[Path]:
    """A path DuckDB can read: XLSX is streamed once to a temporary CSV (text cells), in the
    spool folder; a workbook that expands past MAX_XLSX_EXPANDED or holds more than
    `max_rows` data rows is refused before it is read to the end."""
    if file_kind(path) != "xlsx":
        yield Path(path)
        return
    from openpyxl import load_workbook  # loaded for XLSX files only (about 1 s to import)

    try:
        with zipfile.ZipFile(path) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise EngineError("not a readable XLSX workbook") from exc
    if expanded > MAX_XLSX_EXPANDED:
        raise EngineError("the workbook expands to more than the allowed size")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise EngineError("not a readable XLSX workbook") from exc
    tmp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, removed in finally
        "w", suffix=".csv", newline="", delete=False, dir=spool_dir(), prefix=spool_prefix()
    )
    try:
        with tmp:
            writer = csv.writer(tmp)
            for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True)):
                if max_rows is not None and n > max_rows:  # row 0 is the header
                    raise TooManyRows(max_rows)
                writer.writerow(["" if v is None else _cell_text(v) for v in row])
        yield Path(tmp.name)
    finally:
        wb.close()
        Path(tmp.name).unlink(missing_ok=True)


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)


def relation_sql(path: Path) -> str:
    """A FROM clause for a file. CSV is read all-text so that NIKs keep leading zeros."""
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({_quote(path)})"
    return f"read_csv({_quote(path)}, header = true, all_varchar = true, normalize_names = true)"


def columns(con, source: str) -> dict[str, str]:
    """Column name (lower case) -> DuckDB type of a FROM clause."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {r[0].lower().strip(): r[1] for r in rows}


def require_columns(cols: dict[str, str], needed: tuple[str, ...], what: str) -> None:
    missing = [c for c in needed if c not in cols]
    if missing:
        raise EngineError(f"{what}: missing column(s) {', '.join(missing)}")


def text_sql(column: str, kind: str, width: int = 0) -> str:
    """A column as trimmed text; integer columns are left-padded back to `width` digits."""
    expr = f'trim(CAST("{column}" AS VARCHAR))'
    if width and any(t in kind.upper() for t in ("INT", "DECIMAL", "DOUBLE", "FLOAT")):
        expr = f"lpad(CAST(CAST(\"{column}\" AS HUGEINT) AS VARCHAR), {width}, '0')"
    return expr


def truthy_sql(column: str, kind: str) -> str:
    if kind.upper() == "BOOLEAN":
        return f'coalesce("{column}", false)'
    words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    return f'coalesce(lower(trim(CAST("{column}" AS VARCHAR))) IN ({words}), false)'


def nik_problem_sql(nik: str, today: date) -> str:
    """SQL that is NULL for a valid NIK, else the reason code (the rules of validate_nik)."""
    yy = today.year % 100
    day = f"CAST(substr({nik}, 7, 2) AS INTEGER)"
    birth = (
        f"try_strptime(printf('%04d-%02d-%02d', "
        f"CAST(substr({nik}, 11, 2) AS INTEGER) + "
        f"CASE WHEN CAST(substr({nik}, 11, 2) AS INTEGER) > {yy} THEN 1900 ELSE 2000 END, "
        f"CAST(substr({nik}, 9, 2) AS INTEGER), "
        f"CASE WHEN {day} > 40 THEN {day} - 40 ELSE {day} END), '%Y-%m-%d')"
    )
    return f"""CASE
        WHEN {nik} IS NULL OR NOT regexp_full_match({nik}, '[0-9]{{16}}') THEN 'nik_format'
        WHEN substr({nik}, 1, 2) = '00' OR substr({nik}, 3, 2) = '00'
             OR substr({nik}, 5, 2) = '00' THEN 'nik_region'
        WHEN {birth} IS NULL THEN 'nik_birth_date'
        WHEN CAST({birth} AS DATE) > DATE '{today.isoformat()}' THEN 'nik_future'
        WHEN substr({nik}, 13, 4) = '0000' THEN 'nik_serial'
        ELSE NULL END"""


# --- the file-to-file coverage report ------------------------------------------------------

REPORT_COLUMNS = ("kelurahan_code", "population", "covered", "active", "uncovered")


@dataclass(frozen=True)
class ComputeResult:
    kelurahan: int
    population: int
    covered: int
    active: int

    @property
    def uncovered(self) -> int:
        return self.population - self.covered


def coverage_report_sql(con, population: Path, membership: Path) -> str:
    """The report query: alive residents (one per NIK) left-joined to members (one per NIK)."""
    pop_src, mem_src = relation_sql(population), relation_sql(membership)
    pcols, mcols = columns(con, pop_src), columns(con, mem_src)
    require_columns(pcols, ("nik", "kelurahan_code", "status"), "population")
    require_columns(mcols, ("nik", "active"), "membership")
    words = ", ".join(f"'{w}'" for w in ALIVE_WORDS)
    return f"""
    WITH residents AS (
        SELECT {text_sql("nik", pcols["nik"], 16)} AS nik,
               min({text_sql("kelurahan_code", pcols["kelurahan_code"], 10)}) AS kelurahan_code
        FROM {pop_src}
        WHERE lower(trim(CAST(status AS VARCHAR))) IN ({words})
          AND nullif(trim(CAST(nik AS VARCHAR)), '') IS NOT NULL
        GROUP BY 1
    ), members AS (
        -- one row per person however often the list repeats them; active if any row is
        SELECT {text_sql("nik", mcols["nik"], 16)} AS nik,
               bool_or({truthy_sql("active", mcols["active"])}) AS active
        FROM {mem_src}
        WHERE nullif(trim(CAST(nik AS VARCHAR)), '') IS NOT NULL
        GROUP BY 1
    )
    SELECT r.kelurahan_code,
           count(*) AS population,
           count(m.nik) AS covered,
           count(*) FILTER (WHERE m.active) AS active,
           count(*) - count(m.nik) AS uncovered
    FROM residents r LEFT JOIN members m ON m.nik = r.nik
    GROUP BY r.kelurahan_code
    ORDER BY r.kelurahan_code
    """


def compute_coverage(
    population: str | Path,
    membership: str | Path,
    out: str | Path,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
) -> ComputeResult:
    """Write the coverage report by kelurahan (CSV) from a population and a membership file."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise EngineError("the report is written as CSV: give --out a .csv path")
    con = connect(memory_limit, threads)
    try:
        with readable(population) as pop, readable(membership) as mem:
            query = coverage_report_sql(con, pop, mem)
            con.execute(f"CREATE TEMP TABLE report AS {query}")
        out.parent.mkdir(parents=True, exist_ok=True)
        # the code comes from the population file: written formula-safe (sigap.core.exports)
        code = neutralise_sql("report.kelurahan_code")
        con.execute(f"COPY (SELECT {code} AS kelurahan_code, population, covered, active, "
                    f"uncovered FROM report ORDER BY report.kelurahan_code) TO {_quote(out)} "
                    "(HEADER, DELIMITER ',')")  # fmt: skip
        n, pop_n, cov, act = con.execute(
            "SELECT count(*), coalesce(sum(population), 0), coalesce(sum(covered), 0), "
            "coalesce(sum(active), 0) FROM report"
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise EngineError(str(exc).splitlines()[0]) from exc
    finally:
        con.close()
    return ComputeResult(kelurahan=n, population=int(pop_n), covered=int(cov), active=int(act))


# --- import validation -------------------------------------------------------------------

# kind -> {target column: accepted header names}; the first list names are required.
ALIASES = {
    "nik": ("nik", "no_nik"),
    "family_card": ("family_card", "kk", "no_kk", "nomor_kk"),
    "name": ("name", "nama", "nama_lengkap"),
    "sex": ("sex", "jenis_kelamin", "jk"),
    "birth_date": ("birth_date", "tanggal_lahir", "tgl_lahir"),
    "kelurahan_code": ("kelurahan_code", "kode_kelurahan", "kode_desa", "kelurahan"),
    "address": ("address", "alamat"),
    "status": ("status", "status_penduduk"),
    "card_number": ("card_number", "no_kartu", "nomor_kartu", "noka"),
    "segment": ("segment", "segmen", "jenis_peserta"),
    "active": ("active", "aktif", "status_aktif"),
    "inactive_reason": ("inactive_reason", "alasan_nonaktif", "keterangan"),
    "faskes_code": ("faskes_code", "kode_faskes", "faskes_tk1", "ppk"),
    "care_class": ("care_class", "kelas", "hak_kelas"),
    "decile": ("decile", "desil"),
}
REQUIRED = {
    "population": ("nik", "kelurahan_code", "status"),
    "membership": ("nik", "segment", "active"),
    "welfare": ("nik", "decile"),
}
OPTIONAL = {
    "population": ("family_card", "name", "sex", "birth_date", "address"),
    "membership": ("card_number", "inactive_reason", "faskes_code", "care_class"),
    "welfare": (),
}
# Output columns of the good rows, in the order the database tables take them.
OUTPUT = {
    "population": ("nik", "family_card", "name", "sex", "birth_date", "kelurahan_code",
                   "kecamatan_code", "address", "status"),
    "membership": ("nik", "card_number", "segment", "active", "inactive_reason", "faskes_code",
                   "care_class"),
    "welfare": ("nik", "decile"),
}  # fmt: skip
STATUS_WORDS = {
    "alive": ("alive", "hidup", "ada"),
    "moved": ("moved", "pindah", "pindah keluar"),
    "dead": ("dead", "meninggal", "mati", "wafat"),
}
SEGMENT_WORDS = {
    "PBI-APBN": ("PBI-APBN", "PBI-JK", "PBI"),
    "PBI-APBD": ("PBI-APBD", "PBI-PEMDA", "PEMDA", "JAMKESDA"),
    "PPU": ("PPU",),
    "PBPU": ("PBPU", "MANDIRI"),
    "BP": ("BP", "BUKAN-PEKERJA"),
}


@dataclass
class PreparedImport:
    """A validated file inside DuckDB: table `good` (OUTPUT columns) and `rejected`
    (row_no, nik, reason, detail)."""

    con: object
    kind: str
    total: int
    good: int
    rejected: int

    def batches(self, table: str, cols: tuple[str, ...], size: int = 20_000):
        """Rows of a table as lists of tuples, streamed in batches."""
        cur = self.con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY row_no")
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                return
            yield rows

    def close(self) -> None:
        self.con.close()


def _pick(cols: dict[str, str], target: str) -> str | None:
    for name in ALIASES[target]:
        if name in cols:
            return name
    return None


def _map_words(expr: str, words: dict[str, tuple[str, ...]], upper: bool = False) -> str:
    norm = f"{'upper' if upper else 'lower'}(regexp_replace(trim({expr}), '[ _]+', "
    norm += "'-' , 'g'))" if upper else "' ', 'g'))"
    cases = " ".join(
        "WHEN " + norm + " IN (" + ", ".join(f"'{w}'" for w in ws) + f") THEN '{key}'"
        for key, ws in words.items()
    )
    return f"CASE {cases} ELSE NULL END"


def prepare_import(
    kind: str,
    path: str | Path,
    *,
    known_kelurahan: list[str],
    today: date,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    max_rows: int | None = None,
) -> PreparedImport:
    """Read and validate a register file in DuckDB. Bad rows (invalid NIK, duplicate NIK,
    unknown kelurahan, unreadable values) are set aside with a reason; the rest is kept.
    A file of more than `max_rows` data rows is refused (reading stops after that many)."""
    if kind not in REQUIRED:
        raise EngineError(f"unknown import kind {kind!r}")
    con = connect(memory_limit)
    con.execute("SET preserve_insertion_order = true")  # row numbers follow the file
    try:
        with readable(path, max_rows) as src:
            source = relation_sql(src)
            cols = columns(con, source)
            picked = {t: _pick(cols, t) for t in REQUIRED[kind] + OPTIONAL[kind]}
            missing = [t for t in REQUIRED[kind] if picked[t] is None]
            if missing:
                raise EngineError(f"{kind}: missing column(s) {', '.join(missing)}")

            def text(target: str, width: int = 0) -> str:
                col = picked.get(target)
                if col is None:
                    return "''"
                return f"coalesce({text_sql(col, cols[col], width)}, '')"

            limit = f" LIMIT {int(max_rows) + 1}" if max_rows is not None else ""
            con.execute(
                f"CREATE TEMP TABLE src AS SELECT row_number() OVER () AS row_no, "
                f"{text('nik', 16)} AS nik_raw, * FROM (SELECT * FROM {source}{limit})"
            )
        total = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
        if max_rows is not None and total > max_rows:
            raise TooManyRows(max_rows)
        nik = "nik_raw"
        fields: dict[str, str] = {"nik": "substr(nik_raw, 1, 16)"}
        value_problem = "NULL"
        region_problem = "NULL"
        if kind == "population":
            con.register("known_kelurahan", _code_table(known_kelurahan))
            fields |= {
                "family_card": f"substr({text('family_card', 16)}, 1, 16)",
                "name": f"substr({text('name')}, 1, 128)",
                "sex": f"CASE WHEN upper({text('sex')}) IN ('L', 'M', '1', 'LAKI-LAKI') THEN 'L' "
                f"WHEN upper({text('sex')}) IN ('P', 'F', '2', 'PEREMPUAN') THEN 'P' ELSE '' END",
                "birth_date": _date_sql(text("birth_date"), nik, today),
                "kelurahan_code": f"{text('kelurahan_code', 10)}",
                "kecamatan_code": f"substr({text('kelurahan_code', 10)}, 1, 6)",
                "address": f"substr({text('address')}, 1, 255)",
                "status": _map_words(text("status"), STATUS_WORDS),
            }
            value_problem = f"CASE WHEN ({fields['status']}) IS NULL THEN 'bad_value:status' END"
            region_problem = (
                f"CASE WHEN {text('kelurahan_code', 10)} NOT IN "
                "(SELECT code FROM known_kelurahan) THEN 'unknown_region' END"
            )
        elif kind == "membership":
            active = picked["active"]
            cls = text("care_class")
            fields |= {
                "card_number": f"substr({text('card_number', 13)}, 1, 20)",
                "segment": _map_words(text("segment"), SEGMENT_WORDS, upper=True),
                "active": truthy_sql(active, cols[active]),
                "inactive_reason": f"substr({text('inactive_reason')}, 1, 64)",
                "faskes_code": f"substr({text('faskes_code')}, 1, 16)",
                "care_class": f"CASE WHEN {cls} IN ('1', '2', '3') THEN CAST({cls} AS INTEGER) END",
            }
            value_problem = f"CASE WHEN ({fields['segment']}) IS NULL THEN 'bad_value:segment' END"
        else:
            fields["decile"] = f"try_cast({text('decile')} AS INTEGER)"
            value_problem = (
                f"CASE WHEN coalesce(({fields['decile']}) NOT BETWEEN 1 AND 10, true) "
                "THEN 'bad_value:decile' END"
            )
        select = ", ".join(f"{expr} AS {name}" for name, expr in fields.items())
        con.execute(
            f"""CREATE TEMP TABLE checked AS
            SELECT row_no, nik_raw, {select},
                   coalesce({nik_problem_sql(nik, today)}, {value_problem}, {region_problem})
                       AS problem
            FROM src"""
        )
        con.execute("DROP TABLE src")
        # the first valid row of a NIK is kept; later ones are duplicates
        con.execute(
            """CREATE TEMP TABLE ranked AS
            SELECT *, CASE WHEN problem IS NULL AND row_number() OVER (
                       PARTITION BY CASE WHEN problem IS NULL THEN nik END ORDER BY row_no) > 1
                   THEN 'duplicate' ELSE problem END AS reason
            FROM checked"""
        )
        con.execute("DROP TABLE checked")
        con.execute(
            f"CREATE TEMP TABLE good AS SELECT row_no, {', '.join(OUTPUT[kind])} FROM ranked "
            "WHERE reason IS NULL"
        )
        con.execute(
            """CREATE TEMP TABLE rejected AS
            SELECT row_no, substr(nik_raw, 1, 64) AS nik,
                   split_part(reason, ':', 1) AS reason,
                   CASE WHEN reason LIKE 'bad_value:%' THEN split_part(reason, ':', 2)
                        ELSE '' END AS detail
            FROM ranked WHERE reason IS NOT NULL"""
        )
        con.execute("DROP TABLE ranked")
        good = con.execute("SELECT count(*) FROM good").fetchall()[0][0]
        rejected = con.execute("SELECT count(*) FROM rejected").fetchall()[0][0]
    except duckdb.Error as exc:
        con.close()
        raise EngineError(str(exc).splitlines()[0]) from exc
    except EngineError:
        con.close()
        raise
    return PreparedImport(con=con, kind=kind, total=total, good=good, rejected=rejected)


def _code_table(codes: list[str]):
    import pyarrow as pa  # loaded on first use: a heavy import most processes never need

    return pa.table({"code": pa.array(sorted(set(codes)), pa.string())})


def _date_sql(expr: str, nik: str, today: date) -> str:
    """A birth date from ISO (2001-02-03) or Indonesian (03-02-2001, 03/02/2001) text, else
    the one the NIK carries."""
    yy = today.year % 100
    day = f"CAST(substr({nik}, 7, 2) AS INTEGER)"
    from_nik = (
        f"try_strptime(printf('%04d-%02d-%02d', "
        f"try_cast(substr({nik}, 11, 2) AS INTEGER) + "
        f"CASE WHEN try_cast(substr({nik}, 11, 2) AS INTEGER) > {yy} THEN 1900 ELSE 2000 END, "
        f"try_cast(substr({nik}, 9, 2) AS INTEGER), "
        f"CASE WHEN {day} > 40 THEN {day} - 40 ELSE {day} END), '%Y-%m-%d')"
    )
    return (
        f"CAST(coalesce(try_strptime(substr({expr}, 1, 10), '%Y-%m-%d'), "
        f"try_strptime({expr}, '%d-%m-%Y'), try_strptime({expr}, '%d/%m/%Y'), "
        f"CASE WHEN regexp_full_match({nik}, '[0-9]{{16}}') THEN {from_nik} END) AS DATE)"
    )

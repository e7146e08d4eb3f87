"""Wiring of the checks: a file Data Context under $PROJLEDGER_HOME/gx (never inside the
repository), the warehouse as a PostgreSQL data source by ${PROJLEDGER_GX_URL} substitution,
one validation definition per suite and one checkpoint; the Data Docs site is built after it.

Everything is configured at run time by `configure_checkpoint`, from the reference seeds and
the run's as_of; `run_checks` runs it, turns each expectation into a CheckResult and stores
them in quality.check_result. A check that crashes is a finding, never a stop."""

from __future__ import annotations

import logging
import os
import traceback
import warnings
from copy import copy
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier
from great_expectations.validator.v1_validator import Validator

from expectations.history import store_results
from expectations.results import CheckResult
from expectations.suites import KEY_COLUMN, SuiteSpec, check_name
from expectations.suites.calendar import calendar_suites
from expectations.suites.coverage import coverage_suites
from expectations.suites.feeds import delivery_suites, feed_suites
from projledger.settings import rule_vars

if TYPE_CHECKING:
    from projledger.settings import Settings

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
CHECKPOINT = "projledger_nightly"
URL_VAR = "PROJLEDGER_GX_URL"
# GX lists unexpected index rows up to partial_unexpected_count even in COMPLETE mode: set it
# far above any night's count so every failing key is kept (no sampling).
MAX_FAILING_KEYS = 1_000_000


def gx_root(settings: Settings) -> Path:
    """The context's directory, $PROJLEDGER_HOME/gx (GX names it `gx` under the project root);
    the Data Docs site is its uncommitted/data_docs/local_site/index.html."""
    return Path(settings.home) / "gx"


def data_docs_index(settings: Settings) -> Path:
    return gx_root(settings) / "uncommitted" / "data_docs" / "local_site" / "index.html"


def get_context(settings: Settings):
    """The file Data Context in $PROJLEDGER_HOME/gx, its connection string from the settings."""
    from projledger.db import sqlalchemy_url
    from projledger.db.conninfo import GX_APPLICATION

    # The same server as every other layer, a socket directory as the `host` query parameter.
    os.environ[URL_VAR] = sqlalchemy_url(settings, application=GX_APPLICATION)
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(home))
    _limit_docs_history(context)
    bars = context.variables.progress_bars
    if bars is None or (bars.get("globally") if isinstance(bars, dict) else bars.globally):
        # Night runs log to files: progress bars are noise there.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    return context


# Validation pages kept in the Data Docs index: about two weeks of nights. The results
# themselves are kept in quality.check_result; the site is a browsing aid.
DOCS_RESULTS_LIMIT = 200


def _limit_docs_history(context) -> None:
    sites = context.variables.data_docs_sites or {}
    changed = False
    for site in sites.values():
        index = site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
        if index.get("validation_results_limit") != DOCS_RESULTS_LIMIT:
            index["validation_results_limit"] = DOCS_RESULTS_LIMIT
            changed = True
    if changed:
        context.variables.data_docs_sites = sites
        context.variables.save()


def build_specs(conn, settings: Settings, as_of: date) -> list[SuiteSpec]:
    cfg = rule_vars(settings.dbt_project_dir)
    specs = feed_suites(as_of, cfg)
    specs += delivery_suites(
        conn,
        as_of,
        int(cfg["row_count_history"]),
        float(cfg["row_count_band_low"]),
        float(cfg["row_count_band_high"]),
    )
    specs += coverage_suites(as_of)
    specs += calendar_suites(conn, as_of)
    return [s for s in specs if s.suite.expectations]


# Two passes. The checkpoint counts: each batch's expectations are computed together in a few
# aggregate queries (BASIC with no sample, whose value query is a LIMIT 0). Only the
# expectations that failed are then run again COMPLETE, which lists every unexpected row by its
# key, no sampling cap: a large passing table is read a few times a night, not several times
# per expectation.
COUNTS: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [KEY_COLUMN],
    "return_unexpected_index_query": False,
    "partial_unexpected_count": MAX_FAILING_KEYS,
}


def _add_validation(context, datasource, spec: SuiteSpec) -> gx.ValidationDefinition:
    if spec.query is not None:
        asset = datasource.add_query_asset(name=spec.asset_name, query=spec.query)
    else:
        # A table asset, not `select * from` a query: GX validates a query asset several times
        # slower. Its schema_name is deprecated in favour of a per-schema data source, which
        # would split one warehouse into several sources for no gain.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*schema_name.*", DeprecationWarning)
            asset = datasource.add_table_asset(
                name=spec.asset_name, schema_name=spec.schema, table_name=spec.table
            )
    batch = asset.add_batch_definition_whole_table(f"{spec.name}_whole")
    suite = context.suites.add_or_update(spec.suite)
    vd = gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
    return context.validation_definitions.add_or_update(vd)


def _forget_previous(context) -> None:
    """Drop last run's checkpoint, validation definitions and data source: tonight's set of
    suites may differ (a feed with no history yet, a table missing), and a stored checkpoint
    naming a vanished asset cannot even be loaded."""
    for remove in (
        lambda: context.checkpoints.delete(CHECKPOINT),
        lambda: [
            context.validation_definitions.delete(vd.name)
            for vd in context.validation_definitions.all()
        ],
        lambda: context.data_sources.delete(DATASOURCE),
    ):
        try:
            remove()
        except Exception:  # noqa: BLE001 - nothing stored yet, or already gone
            pass
    # What could not be deleted through the API (unloadable) is removed from the store.
    for folder in ("checkpoints", "validation_definitions"):
        for path in (gx_dir(context) / folder).glob("*.json"):
            path.unlink(missing_ok=True)


def gx_dir(context) -> Path:
    return Path(context.root_directory)


def configure_checkpoint(
    context, specs: list[SuiteSpec]
) -> tuple[gx.Checkpoint | None, dict[str, gx.ValidationDefinition], dict[str, BaseException]]:
    """(Re)declare the data source, suites and validation definitions of tonight's specs and
    the checkpoint over them. Returns the checkpoint (None if no spec could be declared), the
    validation definitions by suite name, and the specs whose batch could not be declared
    (a missing table, a bad query) with their error: those become crashed findings."""
    _forget_previous(context)
    datasource = context.data_sources.add_postgres(
        name=DATASOURCE, connection_string="${" + URL_VAR + "}"
    )
    vds: dict[str, gx.ValidationDefinition] = {}
    broken: dict[str, BaseException] = {}
    for spec in specs:
        try:
            vds[spec.name] = _add_validation(context, datasource, spec)
        except Exception as exc:  # noqa: BLE001 - one broken batch must not stop the others
            log.warning("suite %s cannot be configured: %s", spec.name, exc)
            broken[spec.name] = exc
    if not vds:
        return None, vds, broken
    checkpoint = gx.Checkpoint(
        name=CHECKPOINT,
        validation_definitions=list(vds.values()),
        result_format=COUNTS,
    )
    checkpoint = context.checkpoints.add_or_update(checkpoint)
    return checkpoint, vds, broken


def _failing_keys(spec: SuiteSpec, result: dict) -> list[Any]:
    index = result.get("unexpected_index_list")
    if index:
        keys = []
        for row in index:
            if isinstance(row, dict) and spec.key_columns:
                values = [row.get(c) for c in spec.key_columns]
                keys.append(values[0] if len(values) == 1 else values)
            else:
                keys.append(row)
        return keys[:MAX_FAILING_KEYS]
    unexpected = result.get("unexpected_list")
    if unexpected:
        return list(unexpected)[:MAX_FAILING_KEYS]
    if "observed_value" in result and result.get("observed_value") is not None:
        return [result["observed_value"]]
    return []


def _json_safe(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _exception_text(info: Any) -> str | None:
    """GX reports an expectation's exception either flat or keyed by the failing metric."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "expectation raised")[:4000]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "expectation raised")[:4000]
    return None


def to_check_results(spec: SuiteSpec, suite_result) -> list[CheckResult]:
    out = []
    for r in suite_result.results:
        config = r.expectation_config
        result = r.result or {}
        error = _exception_text(r.exception_info)
        unexpected = result.get("unexpected_count")
        keys = [] if r.success else _failing_keys(spec, result)
        if unexpected is None and not r.success and error is None:
            unexpected = len(keys)
        out.append(
            CheckResult(
                check_name=check_name(spec.name, config),
                suite=spec.name,
                success=bool(r.success) and error is None,
                evaluated=result.get("element_count"),
                unexpected=unexpected,
                failing_keys=_json_safe(keys),
                error=error,
            )
        )
    return out


def with_failing_keys(spec: SuiteSpec, vd: gx.ValidationDefinition, counted) -> list[CheckResult]:
    """The results of a counting pass, each failed expectation run again COMPLETE on the same
    batch so that its result lists every failing key."""
    failed = [
        r.expectation_config
        for r in counted.results
        if not r.success and _exception_text(r.exception_info) is None
    ]
    detailed = {}
    if failed:
        # copies: an expectation with an id belongs to tonight's stored suite
        suite = gx.ExpectationSuite(
            name=f"{spec.name}_failing", expectations=[copy(c.to_domain_obj()) for c in failed]
        )
        again = Validator(vd.batch_definition, result_format=RESULT_FORMAT)
        detailed = {
            r.check_name: r for r in to_check_results(spec, again.validate_expectation_suite(suite))
        }
    return [detailed.get(r.check_name, r) for r in to_check_results(spec, counted)]


def _crashed(spec: SuiteSpec, exc: BaseException) -> CheckResult:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return CheckResult(
        check_name=f"{spec.name}.crashed", suite=spec.name, success=False, error=text[:4000]
    )


def validate(context, specs: list[SuiteSpec]) -> list[CheckResult]:
    """Run the checkpoint; if it raises (a batch failing at run time), run each validation
    definition alone so that only the broken one becomes a crashed finding."""
    by_name = {s.name: s for s in specs}
    try:
        checkpoint, vds, broken = configure_checkpoint(context, specs)
    except Exception as exc:  # noqa: BLE001 - a configuration crash is itself a finding
        log.exception("configuring the checkpoint failed")
        return [_crashed(s, exc) for s in specs]
    results = [_crashed(by_name[name], exc) for name, exc in broken.items()]
    if checkpoint is None:
        return results
    try:
        outcome = checkpoint.run()
    except Exception:  # noqa: BLE001
        log.warning("checkpoint run failed; validating suite by suite", exc_info=True)
    else:
        for suite_result in outcome.run_results.values():
            spec = by_name[suite_result.suite_name]
            try:
                results += with_failing_keys(spec, vds[spec.name], suite_result)
            except Exception as exc:  # noqa: BLE001 - the batch broke between the passes
                log.warning("suite %s crashed listing its failing keys: %s", spec.name, exc)
                results.append(_crashed(spec, exc))
        # Tonight's pages and the index, built once (GX's UpdateDataDocsAction rebuilds the
        # index after every suite).
        _build_docs(
            context,
            [*outcome.run_results, *(ExpectationSuiteIdentifier(name=n) for n in vds)],
        )
        return results
    for name, vd in vds.items():
        spec = by_name[name]
        try:
            results += with_failing_keys(spec, vd, vd.run(result_format=COUNTS))
        except Exception as exc:  # noqa: BLE001
            log.warning("suite %s crashed: %s", name, exc)
            results.append(_crashed(spec, exc))
    _build_docs(context)
    return results


def _build_docs(context, resources: list | None = None) -> None:
    """The Data Docs pages of `resources` (every stored result when None) and the index."""
    try:
        context.build_data_docs(resource_identifiers=resources)
    except Exception:  # noqa: BLE001 - docs are a view of the results, not a result
        log.warning("building Data Docs failed", exc_info=True)


def run_checks(settings: Settings, as_of: date) -> list[CheckResult]:
    """Tonight's checks: every suite validated, every result stored in quality.check_result."""
    from projledger.db import connect

    conn = connect(settings)
    try:
        try:
            specs = build_specs(conn, settings, as_of)
        except Exception as exc:  # noqa: BLE001
            conn.rollback()
            log.exception("building the suites failed")
            spec = SuiteSpec(name="suites", suite=gx.ExpectationSuite(name="suites"))
            results = [_crashed(spec, exc)]
        else:
            conn.rollback()
            try:
                context = get_context(settings)
            except Exception as exc:  # noqa: BLE001
                results = [_crashed(s, exc) for s in specs]
            else:
                with warnings.catch_warnings():
                    # Raised on every load of a table asset with a schema (see _add_validation).
                    warnings.filterwarnings("ignore", ".*schema_name.*", DeprecationWarning)
                    results = validate(context, specs)
        store_results(conn, as_of, results)
    finally:
        conn.close()
    return results

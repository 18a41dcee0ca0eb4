"""Schemathesis sends each service generated requests, valid and invalid, for
every operation its own ``/openapi.json`` describes: no answer may be a
server error, and every answer must be one the document promises.

The Python API drives it here rather than schemathesis's pytest plugin,
whose lazy schemas do not run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from procurement_common.auth import ROLES

EXAMPLES_PER_OPERATION = 25
NOT_OUR_PROMISES = [
    # A well-formed request may still break a rule the schema cannot state
    # (an unknown SKU, a cut above what was asked): the contract answers 422.
    positive_data_acceptance,
    # The schemas also read HTML forms, where every value is a string, so "5"
    # is a fine quantity and "25" a fine amount; unknown query keys are ignored.
    negative_data_rejection,
]


@pytest.mark.parametrize("service", ["requests", "inventory", "approvals"])
def test_every_answer_is_one_the_spec_promises(service, office, world, token_for):
    # Someone with every role, so that no operation stops at the role check.
    headers = {"Authorization": f"Bearer {token_for('wang.fang', roles=ROLES)}"}
    # Path parameters that name real things, so that fuzzing reaches past the 404.
    real = {
        "request_id": world.pending_request,
        "task_id": world.pending_task,
        "delegation_id": world.delegation,
        "order_id": world.standing_order,
        "username": "liu.yang",
        "code": "SAL",
        "sku": world.sku,
    }
    schema = schemathesis.openapi.from_wsgi("/openapi.json", office.apps[service])
    schema.config.update(headers=headers)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases, real_ids=st.booleans())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answers_as_promised(case, real_ids):
            if real_ids and case.path_parameters:
                case.path_parameters = {name: real[name] for name in case.path_parameters}
            case.call_and_validate(excluded_checks=NOT_OUR_PROMISES)

        try:
            answers_as_promised()
        except (Exception, FailureGroup) as failure:  # try every operation, report all
            failures[operation.label] = failure
    if failures:
        pytest.fail("\n\n".join(f"{label}:\n{error}" for label, error in failures.items()))

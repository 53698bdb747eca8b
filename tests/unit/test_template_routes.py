"""Every route template.yaml gives a function is served by that function's resolver, and every
route a resolver serves is in the template (so nothing is deployed unreachable or half-wired)."""

import importlib.util

import pytest

from local import template

FUNCTIONS = template.api_functions()


def served_routes(function: template.Function) -> set[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location(f"route_check_{function.logical_id}", function.handler_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    schema = module.app.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, item in schema.paths.items()
        for method in ("get", "put", "post", "delete", "patch")
        if getattr(item, method) is not None
    }


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_template_routes_and_handler_routes_are_the_same(name):
    declared = {(r.method, r.path) for r in template.operation_routes() if r.function == name}
    assert declared, f"{name} declares no route"
    assert served_routes(FUNCTIONS[name]) == declared


def test_only_stripe_callers_hosted_pages_sign_in_and_sign_up_are_outside_the_jwt_authorizer():
    # Stripe's signature guards the webhook; the one-time Connect state guards the OAuth callback;
    # the invoice's unguessable token (revoked by a void) guards its hosted page; the emailed
    # payment-method link's expiring token guards the buyer's page of a subscription. The console
    # reads where to sign in before it has a token (the pool's public client id, nothing else); a
    # new business signs up before it has one (a deployment can turn that off).
    public = {r.path for r in template.routes() if not r.authorized}
    hosted = {"/i/{token}", "/i/{token}/pay", "/i/{token}/pdf", "/s/{token}", "/s/{token}/setup"}
    sign_in = {"/v1/console/config", "/v1/sign-up"}
    assert public == {"/v1/webhooks/stripe", "/v1/stripe/oauth/callback", template.DEFAULT_ROUTE, *sign_in, *hosted}


def test_requests_no_route_matches_get_the_api_error_body_from_one_function():
    # Without a $default route API Gateway answers {"message": "Not Found"} itself.
    (default,) = [r for r in template.routes() if r.path == template.DEFAULT_ROUTE]
    assert default.method == "ANY"
    assert default.function in FUNCTIONS


def test_every_table_the_code_uses_is_in_the_template():
    tables = template.resources("AWS::DynamoDB::Table")
    indexes = {i["IndexName"] for i in tables["BillowTable"]["Properties"]["GlobalSecondaryIndexes"]}
    from pynamodb.indexes import GlobalSecondaryIndex

    from billing.adapters.dynamodb.models import BillowItem

    declared = {v.Meta.index_name for v in vars(BillowItem).values() if isinstance(v, GlobalSecondaryIndex)}
    assert declared == indexes

"""The web shells over the hall's domain: the JSON API, the browser pages (displays, staff
workstation, evaluator, ticket status, admin console), login and CSRF, the OpenAPI document.
Each view checks who is asking, calls one domain function and renders its answer."""

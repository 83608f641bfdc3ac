"""The SMT encoding: policies -> pySMT formulas over a finite abstraction of the request.

Stages (Cedar's symcc, in small modules): `vocabulary` collects what the query talks about and
builds the finite domains (`domains`); `request_terms` declares the symbolic request over them;
`templates`, `conditions` and `statements` turn the policy model into formulas; `analysis` runs
one question (`prove`) through `policy_guard.solver` and hands models to `policy_guard.explain`,
which decodes them into concrete requests that the reference evaluator must confirm.

Nothing here is imported by the CLI until a check needs solving.
"""

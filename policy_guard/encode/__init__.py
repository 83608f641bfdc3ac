"""The SMT encoding: policies -> pySMT formulas over a finite abstraction of the request.

Stages (Cedar's symcc, in small modules): `slicing` drops the statements that cannot change
the answer; `vocabulary` collects what the query talks about and builds the finite domains
(`domains`; a string variable whose partition is too large gets the lazy domain of `lazy`);
`request_terms` declares the symbolic request over them; `templates`, `conditions` and
`statements` turn the policy model into formulas; `analysis` runs one question (`prove`)
through `solver`, refining lazy domains with `cores` (CEGAR), and hands models (`decoded`) to
`concretize`, which decodes them into concrete requests (`instantiate` for policy variables) that
the reference evaluator must confirm; `witnesses` finds confirmed requests without solving, and
`partition`/`automata` split string spaces into regions; `access_diff` lists the actions a change
gains and loses; `budget` is the time budget every check runs within (deadlines checked in the
loops, the solvers' own limits, a timer as backstop), `memory` the address-space cap every run
is given.

Nothing here is imported by the CLI until a check needs solving.
"""

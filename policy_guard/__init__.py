"""policy-guard: exact, offline answers about AWS IAM policies.

Data flow: files -> sources -> decode (positions) -> parse (typed model) -> checks -> encode
-> solve -> explain (confirmed by the reference evaluator) -> report -> exit code.
"""

__version__ = "0.1.0"

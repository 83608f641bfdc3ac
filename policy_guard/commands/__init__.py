"""One module per command: `add_arguments(parser)` and `run(args) -> exit code`.

Commands read their inputs, call the library, and hand results to a formatter in
`policy_guard.report`; they hold no logic of their own.
"""

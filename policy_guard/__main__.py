from policy_guard.cli import main

raise SystemExit(main())

from uvts.api.cli import main

raise SystemExit(main())

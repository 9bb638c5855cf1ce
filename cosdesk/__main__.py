from cosdesk.cli import main

raise SystemExit(main())

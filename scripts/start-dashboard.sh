#!/bin/sh
# The dashboard's server, as `npm start`, the system tests, e2e and the benches run it: `next start` (arguments
# passed on) with V8 heap limits. Without them the server grew to 512 MB at 200 clusters (peak 695) for ~180 MB
# of live heap; with them 298 MB (peak 318), the fleet refresh no slower (npm run bench:fleet, README). A fleet
# much larger than 200 clusters may need more old space: NODE_OPTIONS given to this script come after these
# flags, and V8 takes the last value of a flag.
export NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size=320${NODE_OPTIONS:+ $NODE_OPTIONS}"
exec node "$(dirname "$0")/../node_modules/next/dist/bin/next" start "$@"

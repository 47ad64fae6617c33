// The local server compacts history on a timer; tests ask for a run (server.compactor.run()) instead, so
// no run lands in the middle of an assertion. A test that wants the timer sets the variable itself.
process.env.COMPACTION_INTERVAL_SECONDS ??= '0';

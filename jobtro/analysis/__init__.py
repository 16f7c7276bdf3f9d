"""Statistical analyses from the command line (`jobtro analyse ...`) over the estimators in jobtro.stats."""

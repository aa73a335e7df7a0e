BEGIN { trace(sizeof (struct nosuchstruct)); }

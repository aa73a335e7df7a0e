BEGIN { @a = nosuch(1); }

$DTRACE -n 'BEGIN { @a["k"] = count(); printa(@a); @b = sum(3); exit(0); }'

#pragma D option quiet
BEGIN {
	self->t = 5;
	this->x = 7;
	a["one"] = 1;
	a["two"] = 2;
	m[1, "x"] = 10;
	m[2, "y"] = 20;
	printf("%d %d %d %d %d %d\n", self->t, this->x, a["one"], a["two"], m[1, "x"], m[2, "y"]);
	printf("%d %d\n", a["missing"], m[3, "z"]);
	self->t = 0;
	printf("%d\n", self->t);
}
BEGIN {
	printf("this is clause-local: %d\n", this->x);
	a["one"] = 0;
	printf("%d %d\n", a["one"], a["two"]);
	exit(0);
}

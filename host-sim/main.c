/* placeholder until host-sim lands */
int main(void) { return 0; }

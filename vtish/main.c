#include <stdio.h>
int main(void)
{
	puts("vtish: not yet");
	return 0;
}

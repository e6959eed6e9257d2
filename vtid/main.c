#include <stdio.h>
int main(void)
{
	puts("vtid: not yet");
	return 0;
}

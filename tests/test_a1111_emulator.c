#include <criterion/criterion.h>
Test(a1111, placeholder) {}

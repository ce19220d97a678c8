/* libc-mini ctype.h: ASCII ranges, no tables, no locale. Anything outside
 * 0..127 (EOF, bytes >= 0x80) fails every range test, as in the C locale. */
#include <ctype.h>

int isdigit(int c)
{
    return c >= '0' && c <= '9';
}

int isupper(int c)
{
    return c >= 'A' && c <= 'Z';
}

int islower(int c)
{
    return c >= 'a' && c <= 'z';
}

int isalpha(int c)
{
    return isupper(c) || islower(c);
}

int isalnum(int c)
{
    return isalpha(c) || isdigit(c);
}

int isxdigit(int c)
{
    return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Space, \t, \n, \v, \f and \r. */
int isspace(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Space through '~': everything but controls and DEL. */
int isprint(int c)
{
    return c >= ' ' && c <= '~';
}

int tolower(int c)
{
    return isupper(c) ? c - 'A' + 'a' : c;
}

int toupper(int c)
{
    return islower(c) ? c - 'a' + 'A' : c;
}

/* libc-mini character classes: ASCII only, as in the C locale. Values outside
 * 0..127 (EOF, bytes >= 0x80) belong to no class and map to themselves. */
#ifndef LIBC_MINI_CTYPE_H
#define LIBC_MINI_CTYPE_H

int isdigit(int c);
int isxdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int tolower(int c);
int toupper(int c);

#endif

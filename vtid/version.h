/* version.h: vtid's version, one place for `vtid --version`, `show version`
 * and the Debian package (debian/changelog must carry the same; t-install
 * checks). */
#ifndef VTID_VERSION_H
#define VTID_VERSION_H

#define VTID_VERSION "0.1.0"

#endif

/*
 * Opening a path beneath a directory, never outside it: the guests' disks
 * are trees an attacker writes, and a ".." or a symbolic link in them must
 * not lead the scanner anywhere else on the host.
 *
 * ks_open_beneath resolves `rel` (leading slashes are ignored: a guest's
 * absolute path is taken relative to its root) from the directory `dirfd`
 * with the kernel's openat2(2) and RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS:
 * a "..", an absolute symbolic link or a link that leads out of the tree
 * fails with EXDEV at the moment of the open, so no check-then-use race is
 * possible.  Symbolic links that stay inside the tree are followed.
 */
#ifndef KS_CORE_BENEATH_H
#define KS_CORE_BENEATH_H

/* A file descriptor, or -1 with errno set (EXDEV: escapes the tree;
 * ENOSYS: the kernel lacks openat2, which it has since Linux 5.6). */
int ks_open_beneath(int dirfd, const char *rel, int flags);

/* 1 when `path` (as a guest gives it) holds a ".." component. */
int ks_path_has_dotdot(const char *path);

#endif

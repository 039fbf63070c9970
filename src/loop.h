/* loop: the control thread's event loop. sofia-sip's su_root owns it, so SIP, the admin
 * socket, inotify, signals and timers all run in one thread and nothing here needs a lock.
 * Other modules register fds and timers through these calls, never through su_* directly
 * (except the SIP module, which hands loop_root() to nua). Nothing in a callback may block. */
#ifndef SCAIDIAL_LOOP_H
#define SCAIDIAL_LOOP_H

#include <stdint.h>

#define SU_ROOT_MAGIC_T		void
#define SU_WAKEUP_ARG_T		void
#define SU_TIMER_ARG_T		void
#include <sofia-sip/su_wait.h>

#define LOOP_IN		0x1
#define LOOP_OUT	0x2

struct loop_fd;
struct loop_timer;

/* events: LOOP_IN/LOOP_OUT that are ready; an error or hang-up is reported as LOOP_IN so
 * the reader sees it as a read of 0 or -1. */
typedef void	loop_fd_cb(int fd, int events, void *arg);
typedef void	loop_timer_cb(void *arg);

int	 loop_init(void);
void	 loop_run(void);
void	 loop_stop(void);
void	 loop_free(void);
su_root_t *loop_root(void);

struct loop_fd *loop_fd_add(int fd, int events, loop_fd_cb *, void *arg);
void	 loop_fd_events(struct loop_fd *, int events);
void	 loop_fd_del(struct loop_fd *);	/* does not close the fd */

struct loop_timer *loop_timer_new(loop_timer_cb *, void *arg);
void	 loop_timer_start(struct loop_timer *, unsigned ms);	/* (re)arms one shot */
void	 loop_timer_stop(struct loop_timer *);
void	 loop_timer_free(struct loop_timer *);

int64_t	 loop_now_ms(void);		/* wall clock, unix ms (records, timestamps) */
int64_t	 loop_mono_ms(void);		/* monotonic ms (durations, timeouts) */
int64_t	 loop_started_ms(void);	/* when loop_init() ran: the daemon's start */

#endif

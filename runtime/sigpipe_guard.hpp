#pragma once

// Blocks SIGPIPE in the calling thread for a scope. A write to a pipe or
// socket whose other end is gone raises SIGPIPE in the writing thread;
// blocked, it stays pending and is consumed when the scope ends, so the
// process (which may not ignore SIGPIPE) survives and the write sees EPIPE.

#include <pthread.h>
#include <signal.h>
#include <time.h>

namespace bsm {

class sigpipe_guard {
public:
  sigpipe_guard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }

  ~sigpipe_guard() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1
        && sigismember(&old_, SIGPIPE) == 0) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t pipe_;
  sigset_t old_;
};

} // namespace bsm

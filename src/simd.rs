//! Run-time choice of the widest vector instructions for the CPU kernels.

/// Defines `fn $name` twice: once for the baseline target and once with AVX2 enabled, and picks
/// the AVX2 copy at run time where the CPU has it. The hot loops here are plain `a * b + c`
/// element-wise code that the compiler vectorises; the default x86-64 target only allows 4-wide
/// SSE, AVX2 doubles the width. No FMA is enabled, so both copies round identically and runs
/// stay bit-for-bit reproducible across CPUs.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn wide($($arg: $ty),*) $(-> $ret)? $body
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked on the line above.
                    return unsafe { wide($($arg),*) };
                }
            }
            fn narrow($($arg: $ty),*) $(-> $ret)? $body
            narrow($($arg),*)
        }
    };
}
pub(crate) use multiversion;

# Cross-compiles the C SDK for linux-aarch64 (glibc) with Debian's cross toolchain:
#   apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
#   cmake -S c-sdk -B c-sdk/target/cmake-aarch64 -DCMAKE_TOOLCHAIN_FILE=c-sdk/cmake/aarch64-linux-gnu.cmake
# The tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR, set here when qemu-aarch64 is
# installed): ctest --test-dir c-sdk/target/cmake-aarch64. The root Maven build does both when
# the cross compiler is installed (c-sdk/pom.xml, profile aarch64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(WEFT_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${WEFT_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${WEFT_CROSS_TRIPLE}-g++)
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${WEFT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Headers from the target root first, then the host: the JDK's jni.h and jni_md.h are the same
# for linux-x86_64 and linux-aarch64 (LP64), so the host JDK's serve the JNI glue.
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)

find_program(WEFT_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(WEFT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${WEFT_QEMU_AARCH64} -L /usr/${WEFT_CROSS_TRIPLE})
endif()

# For the JNI libraries of this repository that link the C SDK's shared libweft from its build
# directory (examples/native, examples/jni-tests, examples/sqlite-jdbc/native,
# java-sdk/agent/src/test/native). include() it after project(); it
#   - reads the cache variables WEFT_BUILD_DIR (c-sdk/target/cmake), WEFT_INCLUDE_DIR
#     (c-sdk/include) and JAVA_HOME (the JDK whose jni.h is used), and stops with the fix if
#     jni.h or libweft.so is not there;
#   - sets WEFT_JNI_INCLUDE_DIRS (jni.h and jni_md.h) and the imported target weft (the shared
#     libweft, DT_NEEDED libweft.so.0);
#   - defines weft_jni_library() and weft_copy_libweft_next_to() below.
# Release archives' consumers use find_package(weft) instead (c-sdk/cmake/weftConfig.cmake.in).
include_guard(GLOBAL)

set(WEFT_BUILD_DIR "" CACHE PATH "The C SDK's build directory (c-sdk/target/cmake)")
set(WEFT_INCLUDE_DIR "" CACHE PATH "The C SDK's public headers (c-sdk/include)")
set(JAVA_HOME "$ENV{JAVA_HOME}" CACHE PATH "The JDK whose jni.h is used")

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()

find_path(WEFT_JNI_H jni.h PATHS "${JAVA_HOME}/include" NO_DEFAULT_PATH)
if(NOT WEFT_JNI_H)
  message(FATAL_ERROR "jni.h not found under JAVA_HOME=${JAVA_HOME}/include: set JAVA_HOME to a JDK")
endif()
set(WEFT_JNI_INCLUDE_DIRS "${WEFT_JNI_H}" "${WEFT_JNI_H}/linux")
if(NOT EXISTS "${WEFT_BUILD_DIR}/libweft.so")
  message(FATAL_ERROR "libweft.so not found in WEFT_BUILD_DIR=${WEFT_BUILD_DIR}: build c-sdk first")
endif()

add_library(weft SHARED IMPORTED)
set_target_properties(weft PROPERTIES
  IMPORTED_LOCATION "${WEFT_BUILD_DIR}/libweft.so"
  IMPORTED_SONAME "libweft.so.0"
  INTERFACE_INCLUDE_DIRECTORIES "${WEFT_INCLUDE_DIR}")

# weft_jni_library(<name> SOURCES <file>... [LIBRARIES <lib>...] [HIDDEN] [NO_RPATH])
# A shared JNI library of C11 sources, -Wall -Wextra -Werror, linking weft (and LIBRARIES), with
# no undefined symbols. It finds libweft.so.0 next to itself at run time (RUNPATH $ORIGIN: copy it
# there with weft_copy_libweft_next_to), or with NO_RPATH has no RPATH/RUNPATH at all, as most
# JNI libraries shipped in a jar (its libweft.so.0 then resolves only to one already loaded).
# HIDDEN: only what JNIEXPORT marks is exported.
function(weft_jni_library name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "HIDDEN;NO_RPATH" "" "SOURCES;LIBRARIES")
  add_library(${name} SHARED ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${name} PRIVATE ${WEFT_JNI_INCLUDE_DIRS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(${name} PRIVATE weft ${ARG_LIBRARIES})
  if(ARG_HIDDEN)
    set_target_properties(${name} PROPERTIES C_VISIBILITY_PRESET hidden)
  endif()
  if(ARG_NO_RPATH)
    set_target_properties(${name} PROPERTIES SKIP_BUILD_RPATH ON)
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  else()
    set_target_properties(${name} PROPERTIES
      BUILD_RPATH "$ORIGIN" INSTALL_RPATH "$ORIGIN" BUILD_WITH_INSTALL_RPATH ON)
    target_link_options(${name} PRIVATE -Wl,--no-undefined -Wl,--enable-new-dtags)
  endif()
endfunction()

# weft_copy_libweft_next_to(<target>): after <target> is built, copies the libweft it links into
# its output directory as libweft.so.0, where RUNPATH $ORIGIN finds it.
function(weft_copy_libweft_next_to target)
  get_filename_component(real "${WEFT_BUILD_DIR}/libweft.so" REALPATH)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different "${real}" "$<TARGET_FILE_DIR:${target}>/libweft.so.0"
    COMMENT "copying libweft.so.0 next to ${target}")
endfunction()

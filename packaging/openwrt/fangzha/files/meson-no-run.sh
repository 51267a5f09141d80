#!/bin/sh
# exe_wrapper of the OpenWrt cross build of fangzha (build machine only; not
# installed). Nothing built for the target can run on the build machine.
#
# Why there is one at all: meson.build always defines the tests, and
# tests/fuzz/meson.build has a custom_target that runs a target program
# (fuzz_gen_blocklist). Meson refuses to generate build.ninja for a cross
# build without an exe_wrapper as soon as such a target exists, even when it
# is never built. The package builds only the four programs it ships, so the
# wrapper is never asked to run anything but meson's own compiler sanity
# check (a program already compiled and linked, answered with success).
# Anything else fails loudly instead of pretending.
case "${1##*/}" in
sanitycheck*_cross.exe) exit 0 ;;
esac
echo "fangzha (OpenWrt build): cannot run the target program '$1' on the build machine" >&2
exit 1

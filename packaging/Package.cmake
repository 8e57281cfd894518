# Installation layout and the Debian package (CPack): `packaging/build-deb.sh` builds
# distillery_VERSION_ARCH.deb from an existing build folder.
#   /usr/bin                       distillery, distillery-engine
#   /usr/share/applications        distillery.desktop
#   /usr/share/icons/hicolor       the icon
#   /usr/share/metainfo            AppStream metadata
#   /usr/share/mime/packages       application/x-distillery-store
#   /usr/share/man/man1            man pages made from --help (help2man; target `manpages`)
#   /usr/share/distillery          the example experiments
#   /usr/share/doc/distillery      README, copyright, changelog
include(GNUInstallDirs)
set(DISTILLERY_APPSTREAM_ID io.github.distillery.Distillery)

install(FILES ${PROJECT_SOURCE_DIR}/resources/${DISTILLERY_APPSTREAM_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/resources/distillery-mime.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages RENAME distillery.xml)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments/ DESTINATION ${CMAKE_INSTALL_DATADIR}/distillery/experiments
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/distillery)

# Debian wants the changelog and the man pages gzipped with no timestamp (gzip -n).
set(PACKAGE_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${PACKAGE_CHANGELOG}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/debian/changelog > ${PACKAGE_CHANGELOG}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog)
set(PACKAGE_EXTRAS ${PACKAGE_CHANGELOG})
install(FILES ${PACKAGE_CHANGELOG} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/distillery OPTIONAL)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(MANPAGE_SCRIPT ${PROJECT_SOURCE_DIR}/packaging/manpage.sh)
  set(MAN_DIR ${CMAKE_BINARY_DIR}/packaging/man)
  add_custom_command(OUTPUT ${MAN_DIR}/distillery-engine.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MAN_DIR}
    COMMAND ${MANPAGE_SCRIPT} $<TARGET_FILE:distillery-engine> ${MAN_DIR}/distillery-engine.1.gz
            "train, resume and inspect knowledge-distillation runs without a display"
            run resume retry validate models methods describe export
    DEPENDS distillery-engine ${MANPAGE_SCRIPT})
  list(APPEND PACKAGE_EXTRAS ${MAN_DIR}/distillery-engine.1.gz)
  install(FILES ${MAN_DIR}/distillery-engine.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
  if(TARGET distillery)
    add_custom_command(OUTPUT ${MAN_DIR}/distillery.1.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${MAN_DIR}
      COMMAND ${MANPAGE_SCRIPT} $<TARGET_FILE:distillery> ${MAN_DIR}/distillery.1.gz
              "workbench for knowledge-distillation research" report
      DEPENDS distillery ${MANPAGE_SCRIPT})
    list(APPEND PACKAGE_EXTRAS ${MAN_DIR}/distillery.1.gz)
    install(FILES ${MAN_DIR}/distillery.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
  endif()
endif()
# Not part of `all`: only the package needs them (build-deb.sh builds this target first).
add_custom_target(package-files DEPENDS ${PACKAGE_EXTRAS})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME distillery)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "workbench for knowledge-distillation research")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"Distillery trains a student network to imitate a teacher network and lets
you watch and compare the runs. It has the classic distillation methods (KD,
FitNets, attention transfer and others) and adaptive ones (AdaIN statistics
transfer, spot-adaptive KD, channel-wise transformation, multi-path
aggregation, activation-map adaptation). The desktop app (distillery) shows
loss curves, gate decisions, channel statistics and path weights live, and
compares runs and exports reports; the engine (distillery-engine) trains
headless on a server. All results of a study live in one SQLite file.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # distillery_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(DEFINED ENV{DISTILLERY_MAINTAINER})
  set(CPACK_PACKAGE_CONTACT "$ENV{DISTILLERY_MAINTAINER}")
else()
  set(CPACK_PACKAGE_CONTACT "The Distillery developers <distillery@example.org>")
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)    # Depends from dpkg-shlibdeps
# The default experiment trains on Debian's Fashion-MNIST.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
include(CPack)

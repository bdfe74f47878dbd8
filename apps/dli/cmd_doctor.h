#ifndef DLI_APPS_CMD_DOCTOR_H
#define DLI_APPS_CMD_DOCTOR_H

namespace dli::cli {

// `dli doctor`: checks the machine for what makes measurements unstable
// (src/machine/doctor.h). Returns 0, or 1 when a check could not run.
int RunDoctor(int argc, char** argv);

}  // namespace dli::cli

#endif  // DLI_APPS_CMD_DOCTOR_H

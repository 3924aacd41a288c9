// Debian's libqrencode (libqrencode-dev), which draws the QR code of the two-step verification set-up page.
#include <qrencode.h>

/* Starts DKFDS's own components (the mobile menu drawer); jobtro has no other JavaScript. */
if (window.DKFDS) {
  window.DKFDS.init();
}

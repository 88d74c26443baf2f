#!/usr/bin/env python3
"""Two small lab patches for the vkms source that lab-vm.sh builds out of tree
(Debian ships no vkms module). Idempotent; usage: patch_vkms.py VKMS_DIR [clones] [refcount] [hotplug]

clones    Stock vkms leaves encoder.possible_clones empty, and since
          drm_atomic_check_valid_clones() (also in Debian's 6.1.1xx and 6.12 kernels) a
          commit that puts Virtual-1 *and* Writeback-1 on the one CRTC fails with EINVAL.
          Declare the two encoders clones of each other so a frame can be read back while
          the virtual output stays lit.
refcount  vkms_set_composer() is a plain on/off switch: the writeback cleanup of frame N
          (run from a worker after N's out-fence signalled) switches the composer off even
          when frame N+1 has already switched it on, so N+1 is never composed and its
          out-fence never signals. Seen about 1 run in 4 under TCG. Count the users instead.
hotplug   vkms never calls drm_kms_helper_poll_init(), so mode_config.poll_enabled stays false
          and forcing a connector through /sys/class/drm/card0-Virtual-1/status re-probes it
          but raises no hotplug uevent (drm_helper_probe_single_connector_modes only kicks the
          output-poll work when polling is enabled). Enable it, so the lab's connector
          hotplug is a real kernel uevent as on hardware, not a synthetic "change".
"""
import re
import sys

MARK = "kiosk-lab"


def patch_clones(d):
    p = f"{d}/vkms_output.c"
    s = open(p).read()
    if f"{MARK} clones" in s:
        return "clones: already applied"
    anchor = "\tdrm_mode_config_reset(dev);\n"
    if s.count(anchor) != 1 or "vkms_enable_writeback_connector" not in s:
        return "clones: NOT APPLIED (source layout changed)"
    add = (f"\t/* {MARK} clones: Virtual-1 and Writeback-1 may share the CRTC */\n"
           "\tif (vkmsdev->config->writeback && !writeback) {\n"
           "\t\tu32 clones = drm_encoder_mask(encoder) |\n"
           "\t\t\t     drm_encoder_mask(&vkmsdev->output.wb_connector.encoder);\n"
           "\t\tencoder->possible_clones = clones;\n"
           "\t\tvkmsdev->output.wb_connector.encoder.possible_clones = clones;\n"
           "\t}\n")
    open(p, "w").write(s.replace(anchor, add + anchor))
    return "clones: applied"


def patch_refcount(d):
    p = f"{d}/vkms_composer.c"
    s = open(p).read()
    if f"{MARK} refcount" in s:
        return "refcount: already applied"
    m = re.search(r"void vkms_set_composer\(struct vkms_output \*out, bool enabled\)\n\{\n.*?\n\}\n", s, re.S)
    if not m:
        return "refcount: NOT APPLIED (source layout changed)"
    new = (
        "void vkms_set_composer(struct vkms_output *out, bool enabled)\n"
        "{\n"
        f"\tstatic int users; /* {MARK} refcount: one vkms device per lab VM */\n"
        "\tbool put = false;\n"
        "\n"
        "\tif (enabled)\n"
        "\t\tdrm_crtc_vblank_get(&out->crtc);\n"
        "\n"
        "\tspin_lock_irq(&out->lock);\n"
        "\tif (enabled) {\n"
        "\t\tusers++;\n"
        "\t} else if (users > 0) {\n"
        "\t\tusers--;\n"
        "\t\tput = true;\n"
        "\t}\n"
        "\tout->composer_enabled = users > 0;\n"
        "\tspin_unlock_irq(&out->lock);\n"
        "\n"
        "\tif (put)\n"
        "\t\tdrm_crtc_vblank_put(&out->crtc);\n"
        "}\n")
    open(p, "w").write(s[:m.start()] + new + s[m.end():])
    return "refcount: applied"


def patch_hotplug(d):
    p = f"{d}/vkms_drv.c"
    s = open(p).read()
    if f"{MARK} hotplug" in s:
        return "hotplug: already applied"
    anchor = "\tret = drm_dev_register(&vkms_device->drm, 0);\n"
    if s.count(anchor) != 1:
        return "hotplug: NOT APPLIED (source layout changed)"
    add = (f"\t/* {MARK} hotplug: enable output polling so that forcing a connector's status\n"
           "\t * through sysfs raises a hotplug uevent, as on real hardware */\n"
           "\tdrm_kms_helper_poll_init(&vkms_device->drm);\n\n")
    open(p, "w").write(s.replace(anchor, add + anchor))
    return "hotplug: applied"


PATCHES = {"clones": patch_clones, "refcount": patch_refcount, "hotplug": patch_hotplug}

if __name__ == "__main__":
    d, which = sys.argv[1], sys.argv[2:] or list(PATCHES)
    results = [PATCHES[w](d) for w in which]
    print("\n".join(results))
    # a lab whose display checks rely on a patch must not run silently without it
    sys.exit(1 if any("NOT APPLIED" in r for r in results) else 0)

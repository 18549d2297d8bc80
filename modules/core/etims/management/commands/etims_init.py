"""Initialise the eTIMS device once (``selectInitOsdcInfo``) and print the cmcKey KRA issues."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modules.core.etims import services
from modules.core.etims.oscu import EtimsError


class Command(BaseCommand):
    help = ("Initialise the OSCU device (ETIMS_TIN, ETIMS_BHF_ID, ETIMS_DEVICE_SERIAL) with KRA and print the "
            "SCU ID and the cmcKey. KRA answers with the key only once: put it in ETIMS_CMC_KEY, like a password.")

    def handle(self, *args, **options):
        if not services.enabled():
            raise CommandError("eTIMS is off (ETIMS_MODE=off): nothing to initialise.")
        device = services.device()
        try:
            info = services.initialise(device)
        except EtimsError as error:
            raise CommandError(f"KRA refused the initialisation: {error}") from None
        self.stdout.write(f"SCU ID (ETIMS_SDC_ID): {device.sdc_id}\nTaxpayer: {device.taxpayer_name}")
        if settings.ETIMS_MODE == "simulator":
            self.stdout.write("Simulator: the key is kept on the device row; no ETIMS_CMC_KEY needed.")
        else:
            self.stdout.write(f"ETIMS_CMC_KEY={info.get('cmcKey', '')}")

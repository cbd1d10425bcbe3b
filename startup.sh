#!/bin/sh
# MWAA startup script: gives the workers a separate Python venv for the Soda scan.
#
# soda-core 4.28 cannot be installed into Airflow 3.3.1's environment (it needs
# requests<2.34 and ruamel.yaml<0.19; the constraints pin 2.34.2 and 0.19.1), so the
# quality_checks task runs `python -m eventlake.quality.scan` with this venv's interpreter:
# set the Airflow config option eventlake.soda_python=/usr/local/airflow/soda-venv/bin/python.
#
# Offline environments (no internet from the MWAA subnets): put the wheels in plugins.zip
# under soda-wheels/ and they are installed with --no-index.
set -eu

SODA_VENV="${SODA_VENV:-/usr/local/airflow/soda-venv}"
PLUGINS="${AIRFLOW_HOME:-/usr/local/airflow}/plugins"
REQUIREMENTS="$PLUGINS/soda-requirements.txt"
WHEELS="$PLUGINS/soda-wheels"

case "${MWAA_AIRFLOW_COMPONENT:-worker}" in
  worker) ;;
  *) echo "eventlake startup: ${MWAA_AIRFLOW_COMPONENT} runs no tasks, no Soda venv"; exit 0 ;;
esac

if [ -x "$SODA_VENV/bin/python" ] && "$SODA_VENV/bin/python" -c "import soda_core, soda_athena" 2>/dev/null; then
  echo "eventlake startup: Soda venv already present at $SODA_VENV"
  exit 0
fi

python3 -m venv "$SODA_VENV"
if [ -d "$WHEELS" ]; then
  "$SODA_VENV/bin/pip" install --quiet --no-index --find-links "$WHEELS" -r "$REQUIREMENTS"
else
  "$SODA_VENV/bin/pip" install --quiet -r "$REQUIREMENTS"
fi
"$SODA_VENV/bin/python" -c "import soda_core, soda_athena; print('eventlake startup: Soda venv ready')"

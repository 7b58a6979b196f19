-- 患者（每次挂号一条，id = 挂号序号）；退号 thbz = '1' 即删除。
-- table: emr_patient_info
-- key: id
-- watermark: xgsj
-- delete_flag: thbz
-- codes: id_card_type_code=id_card_type, gender_code=gender
SELECT g.ghxh AS id,
       b.xm AS patient_name,
       b.zjlx AS id_card_type_code,
       b.sfzh AS id_card,
       b.xb AS gender_code,
       b.csrq AS birth_date,
       b.lxdh AS tel,
       b.xzz AS current_addr_detail,
       g.ysdm AS operator_id,
       g.ghsj AS operation_time,
       '0' AS invalid_flag,
       g.thbz AS thbz,
       GREATEST(g.xgsj, b.xgsj) AS xgsj
FROM gh_mzgh g
JOIN br_jbxx b ON b.brid = g.brid
WHERE GREATEST(g.xgsj, b.xgsj) >= :since AND GREATEST(g.xgsj, b.xgsj) <= :until
ORDER BY xgsj, g.ghxh
